"""An editor in a real browser: logs in to the admin, reads the analytics dashboard's
charts, approves a pending comment and publishes a draft.

Headless Chromium from the Debian package `chromium`, driven by Playwright with its
executable path set: Playwright's own browser download fails on these machines
(`scripts/ensure_chromium.sh` installs the package). Screenshots go to `var/e2e/`.
"""

import os
from datetime import UTC, timedelta

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from analytics.models import Event
from blog.models import Comment, CommentStatus, Post, PostStatus
from tests.factories import (
    PASSWORD,
    CommentFactory,
    DraftPostFactory,
    EditorFactory,
    PostDailyStatsFactory,
    PostFactory,
    SiteDailyStatsFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = settings.BASE_DIR / "var" / "e2e"
TIMEOUT_MS = 20_000


def _require_chromium() -> None:
    if os.access(CHROMIUM, os.X_OK):
        return
    reason = (
        f"No Chromium at {CHROMIUM}: install the Debian package `chromium` "
        "(scripts/ensure_chromium.sh) or set CHROMIUM_PATH."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)  # CI must not pass by skipping the browser test
    pytest.skip(reason)


@pytest.fixture
def page(monkeypatch):
    _require_chromium()
    # Playwright's sync API runs an event loop in this thread; Django then refuses ORM
    # calls from it unless told that this test's thread is meant to make them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
            # Inside Playwright's context Django's context-local storage holds another
            # database connection than outside it; Django's teardown would never close
            # this one, and the test database could not be dropped at the end.
            connections.close_all()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _bar_heights(page, chart: str) -> dict[str, float]:
    """The drawn height in pixels of each bar of one chart, by its date."""
    return page.locator(f'svg[data-chart="{chart}"] rect.adash-bar').evaluate_all(
        "bars => Object.fromEntries(bars.map("
        "b => [b.dataset.date, b.getBoundingClientRect().height]))"
    )


def _run_action(page, url: str, object_id: int, action: str) -> None:
    page.goto(url)
    page.locator(f'input[name="_selected_action"][value="{object_id}"]').check()
    page.locator('select[name="action"]').select_option(action)
    page.locator('button[name="index"]').click()
    page.wait_for_load_state()


def test_an_editor_reads_the_dashboard_approves_and_publishes(page, live_server):
    today = timezone.now().astimezone(UTC).date()
    editor = EditorFactory(username="erin")
    popular = PostFactory(title="A much-read post")
    SiteDailyStatsFactory(date=today, views=40)
    SiteDailyStatsFactory(date=today - timedelta(days=3), views=15, comments=2)
    PostDailyStatsFactory(post=popular, date=today, views=40)
    pending = CommentFactory(
        post=popular, status=CommentStatus.PENDING, body="Waiting for an editor's yes"
    )
    draft = DraftPostFactory(title="A draft ready to go", author=editor)
    dashboard = f"{live_server.url}/admin/dashboard/"

    # Log in through the admin's form; the index page links to the dashboard.
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", editor.username)
    page.fill("#id_password", PASSWORD)
    page.locator('input[type="submit"]').click()
    page.wait_for_url(f"{live_server.url}/admin/")
    _shot(page, "admin_index")
    page.get_by_role("link", name="Open the analytics dashboard").click()
    page.wait_for_url(dashboard)

    views = _bar_heights(page, "views")
    assert len(views) == 30
    assert views[today.isoformat()] > views[(today - timedelta(days=3)).isoformat()] > 0
    assert views[(today - timedelta(days=1)).isoformat()] == 0
    comments = _bar_heights(page, "comments")
    assert len(comments) == 30 and comments[(today - timedelta(days=3)).isoformat()] > 0
    # The stylesheet arrived (static file, no inline style): bars are not SVG's default black.
    fill = page.locator("rect.adash-bar").first.evaluate("b => getComputedStyle(b).fill")
    assert fill not in ("", "rgb(0, 0, 0)")
    assert page.locator('[data-tile="pending"] .adash-figure').inner_text() == "1"
    assert "A much-read post" in page.locator("#top-posts").inner_text()
    _shot(page, "dashboard")

    # The pending tile leads to the moderation queue; approve the comment there.
    page.locator('[data-tile="pending"]').click()
    page.wait_for_url("**/admin/blog/comment/?queue=pending")
    _run_action(page, page.url, pending.pk, "mark_approved")
    assert "1 comment(s) marked approved." in page.locator("ul.messagelist").inner_text()
    _shot(page, "after_approve")
    assert Comment.objects.get(pk=pending.pk).status == CommentStatus.APPROVED
    assert Event.objects.filter(type="comment.moderated", aggregate_id=str(pending.pk)).exists()

    _run_action(page, f"{live_server.url}/admin/blog/post/", draft.pk, "post_publish")
    assert "1 post(s) updated." in page.locator("ul.messagelist").inner_text()
    _shot(page, "after_publish")
    assert Post.objects.get(pk=draft.pk).status == PostStatus.PUBLISHED
    assert Event.objects.filter(type="post.published", aggregate_id=str(draft.pk)).exists()

    # Back on the dashboard: the queue is empty, and the approval was rolled up into
    # today's comments column (the roll-up job ran after the approval's commit).
    page.goto(dashboard)
    assert page.locator('[data-tile="pending"] .adash-figure').inner_text() == "0"
    assert _bar_heights(page, "comments")[today.isoformat()] > 0
    events = page.locator('[data-chart="events"] rect.adash-bar').evaluate_all(
        "bars => bars.map(b => b.dataset.label)"
    )
    assert {"comment.moderated", "post.published"} <= set(events)
    _shot(page, "dashboard_after")
