"""Old paths in their normal form, targets of this site only, the Location sent."""

import pytest

from blog.redirect_paths import (
    UnsafeTarget,
    redirect_location,
    redirect_old_path_normalize,
    redirect_path_key,
    redirect_target_check,
    redirect_target_safe,
)

SITE = "https://blog.example.com"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.mark.parametrize(
    "raw",
    [
        "/2019/05/Hello-World/",
        "/2019/05/hello-world",
        "//2019//05/hello-world//"[1:],
        "/2019/05/HELLO-world/",
    ],
)
def test_old_paths_differing_in_case_slashes_and_trailing_slash_are_one(raw):
    assert redirect_old_path_normalize(raw) == "/2019/05/hello-world"


def test_a_percent_encoded_utf8_path_is_the_unicode_path_a_request_arrives_with():
    # WordPress writes non-ASCII slugs percent-encoded; Django's request.path is decoded.
    encoded = "/%CE%B5%CE%BB%CE%BB%CE%B7%CE%BD%CE%B9%CE%BA%CE%AC/"
    assert redirect_old_path_normalize(encoded) == "/ελληνικά"
    assert redirect_path_key("/Ελληνικά/") == "/ελληνικά"
    assert redirect_old_path_normalize("/café/") == redirect_old_path_normalize("/caf%C3%A9")


def test_the_root_stays_the_root():
    assert redirect_old_path_normalize("/") == "/"
    assert redirect_path_key("") == "/"


@pytest.mark.parametrize(
    "raw",
    [
        "old/",  # relative
        "//evil.com/x",  # scheme-relative
        "https://old.example.com/x/",
        "/x?p=1",
        "/x#top",
        "/a b",
        "/a\\b",
        "/a%0Ab",  # a newline once decoded
        "/%FF%FE",  # not UTF-8
        "/" + "a" * 2001,
    ],
)
def test_what_is_not_a_path_of_this_site_is_refused_as_an_old_path(raw):
    with pytest.raises(ValueError):
        redirect_old_path_normalize(raw)


@pytest.mark.parametrize(
    "target",
    [
        "/new/",
        "/ελληνικά/?utm=1#part",
        "/%CE%B5/",
        f"{SITE}/new/",
        "https://BLOG.example.com/new/",
        "http://blog.example.com/",
    ],
)
def test_paths_and_urls_of_this_site_are_targets(target):
    assert redirect_target_check(target) == target
    assert redirect_target_safe(target)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "//evil.com/path",
        "///evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "/%5Cevil.com",  # a backslash once decoded
        "http://evil",
        "https://evil.com/",
        "https://blog.example.com.evil.com/",
        "https://blog.example.com@evil.com/",
        "https://user:pass@blog.example.com/",
        "https://blog.example.com:8443/",  # another origin
        "javascript:alert(1)",
        "data:text/html,hi",
        "ftp://blog.example.com/",
        "new/",
        " /new/",
        "/new/\r\nSet-Cookie: a=b",
        "/a\tb",
        "",
    ],
)
def test_another_host_or_anything_a_browser_could_read_as_one_is_refused(target):
    with pytest.raises(UnsafeTarget):
        redirect_target_check(target)
    assert not redirect_target_safe(target)


def test_the_query_string_is_added_to_the_target_and_cannot_break_out_of_the_query():
    assert redirect_location("/new/", "") == "/new/"
    assert redirect_location("/new/", "utm_source=x&page=2") == "/new/?utm_source=x&page=2"
    assert redirect_location("/new/?a=1#top", "b=2") == "/new/?a=1&b=2#top"
    assert redirect_location(f"{SITE}/new/", "q=caf%C3%A9") == f"{SITE}/new/?q=caf%C3%A9"
    # Raw characters a client sent un-encoded are encoded, never a header break or a host.
    location = redirect_location("/new/", "a=1\r\nX: y&b=//evil.com")
    assert location == "/new/?a=1%0D%0AX:%20y&b=//evil.com"


def test_a_path_is_decoded_once_like_the_request_s():
    # `%25` is a literal `%`: decoding twice would turn `/100%2541` into `/100a`.
    assert redirect_old_path_normalize("/100%2541/") == "/100%41"
    assert redirect_path_key("/100%41/") == "/100%41"
