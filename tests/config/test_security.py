"""Security settings: `check --deploy`, headers (HSTS, CSP, ...), cookies, CORS."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)
FRONTEND = "https://app.example.com"


def production_env(**overrides):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "example.com",
        "DJANGO_SECURE_SSL_REDIRECT": "1",
    }
    env.pop("DJANGO_SECURE_HSTS_SECONDS", None)
    env.update(overrides)
    return env


def run_manage(*args, **env_overrides):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=production_env(**env_overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_check_deploy_notices_a_weak_configuration():
    # The test above could pass by checking nothing: a weak setting must be reported.
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_SECRET_KEY="short")
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_SECRET_KEY="")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


@pytest.mark.parametrize("prefix", ["http://maps.example/embed/", "https://maps.example", "x"])
def test_an_embed_prefix_that_is_not_https_host_path_refuses_to_start(prefix):
    result = run_manage("check", EMBED_EXTRA_URL_PREFIXES=f"https://ok.example/e/,{prefix}")
    assert result.returncode != 0
    assert "EMBED_EXTRA_URL_PREFIXES" in result.stderr


def test_extra_embed_hosts_join_the_frame_src():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY)",
        EMBED_EXTRA_URL_PREFIXES="https://maps.example/embed/",
    )
    assert result.returncode == 0, result.stderr
    assert "'https://maps.example'" in result.stdout


# --- headers ----------------------------------------------------------------------------


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def assert_site_policy(response):
    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:", "https:"]
    # Frames: only the players of the embed hosts a post's body may show.
    assert csp["frame-src"] == [
        "https://player.vimeo.com",
        "https://www.youtube-nocookie.com",
        "https://www.youtube.com",
        "https://youtube-nocookie.com",
        "https://youtube.com",
    ]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]


def assert_no_inline_script_or_style(html: str):
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert all("src=" in attrs or "application/json" in attrs for attrs in scripts), scripts
    assert "<style" not in html


def test_blog_page_has_the_security_headers():
    response = Client().get("/", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in response["Strict-Transport-Security"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert_site_policy(response)
    assert_no_inline_script_or_style(response.content.decode())


def test_post_page_keeps_the_policy_with_its_stylesheet():
    post = factories.PostFactory()
    response = Client().get(f"/posts/{post.slug}/", secure=True)
    assert response.status_code == 200
    assert_site_policy(response)
    html = response.content.decode()
    assert_no_inline_script_or_style(html)
    assert "/static/blog/site.css" in html


def test_admin_pages_work_under_the_policy(admin_user):
    client = Client()
    login_page = client.get("/admin/login/", secure=True)
    assert_site_policy(login_page)
    assert_no_inline_script_or_style(login_page.content.decode())

    client.force_login(admin_user)
    for path in (
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{admin_user.pk}/change/",
    ):
        response = client.get(path, secure=True)
        assert response.status_code == 200, path
        assert_site_policy(response)
        assert_no_inline_script_or_style(response.content.decode())


def test_api_docs_allow_inline_styles_but_no_inline_script():
    response = Client().get("/api/v1/docs/", secure=True)
    assert response.status_code == 200
    csp = csp_directives(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    scripts = re.findall(r"<script\b([^>]*)>", response.content.decode())
    assert scripts and all("src=" in attrs for attrs in scripts)


def test_no_hsts_over_plain_http():
    # Browsers ignore it there; Django only sends it on secure requests.
    assert "Strict-Transport-Security" not in Client().get("/api/v1/tags/")


# --- cookies ----------------------------------------------------------------------------


def test_session_and_csrf_cookies_are_secure_and_session_is_http_only(admin_user):
    client = Client()
    page = client.get("/admin/login/", secure=True)
    assert page.cookies["csrftoken"]["secure"]

    response = client.post(
        "/admin/login/",
        {"username": admin_user.username, "password": factories.PASSWORD},
        secure=True,
    )

    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]


# --- request body ----------------------------------------------------------------------


def test_api_body_over_the_limit_is_refused_before_reading(anon_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = anon_client.post("/api/v1/auth/register/", {"username": "x" * 200}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


# --- CORS --------------------------------------------------------------------------------


@pytest.fixture
def frontend(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]


def preflight(origin, path="/api/v1/posts/", headers="authorization, if-none-match"):
    return Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


def test_preflight_from_the_frontend_is_allowed(frontend):
    response = preflight(FRONTEND, headers="authorization, if-none-match, if-match, x-request-id")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "if-none-match", "if-match", "x-request-id"} <= allowed
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response


def test_preflight_from_another_origin_gets_no_cors_headers(frontend):
    response = preflight("https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in response


def test_cors_is_only_for_the_api(frontend):
    response = preflight(FRONTEND, path="/admin/login/")
    assert "Access-Control-Allow-Origin" not in response


def test_actual_request_exposes_etag_request_id_and_retry_after(frontend):
    response = Client().get("/api/v1/tags/", HTTP_ORIGIN=FRONTEND)
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    exposed = {h.strip() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert exposed == {"ETag", "X-Request-ID", "Retry-After"}


def test_no_origin_is_allowed_when_none_is_configured(settings):
    settings.CORS_ALLOWED_ORIGINS = []  # the default of CORS_ALLOWED_ORIGINS
    assert "Access-Control-Allow-Origin" not in preflight(FRONTEND)
