"""A new member on a phone (390×844, touch; and a tablet at 768): a draft
saved without photos is not a dead end — its page leads to the edit page's
photo control, where two photos are added (with progress), reordered with
the arrow buttons, one removed, and the note published. Then, on a phone,
collecting a note into a board (the "Save to a board" sheet is on screen)
and commenting (the new comment is in view).

Screenshots: artifacts/screenshots/phone-draft-*-{phone,tablet}.png,
phone-collect-sheet.png, phone-commented.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from community.models import Collect, Comment, Note
from tests.browser.conftest import SCREENSHOTS, watch_csp
from tests.factories import PASSWORD, NoteFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": (390, 844), "tablet": (768, 1024)}


def solid_jpeg(path: Path, color: tuple[int, int, int], size: tuple[int, int]) -> Path:
    Image.new("RGB", size, color).save(path, "JPEG", quality=85)
    return path


def open_phone(browser: Any, width: int, height: int) -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        has_touch=True,
        is_mobile=width < 500,
        device_scale_factor=2 if width < 500 else 1,
    )
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.js_errors = []
    page.csp_violations = violations
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    return page


def shoot(page: Any, name: str, *, full: bool = True) -> None:
    """A full-page PNG, or (``full=False``) what the screen shows now."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full)


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def no_sideways_scroll(page: Any) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, (page.url, overflow)


def in_viewport(page: Any, locator: Any) -> None:
    box = locator.bounding_box()
    view = page.viewport_size
    assert box is not None
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= view["width"] + 0.5, (box, view)
    assert box["y"] + box["height"] <= view["height"] + 0.5, (box, view)


def tile_ids(page: Any) -> list[int]:
    values = page.eval_on_selector_all(
        "[data-tiles] input[name=photo_ids]", "inputs => inputs.map(i => i.value)"
    )
    return [int(v) for v in values]


@pytest.mark.parametrize("size", list(SIZES))
def test_a_draft_without_photos_gets_photos_and_is_published(  # type: ignore[no-untyped-def]
    live_server, browser, tmp_path, size
):
    from playwright.sync_api import expect

    width, height = SIZES[size]
    UserFactory(username="juno", display_name="Juno")
    page = open_phone(browser, width, height)
    base = live_server.url
    try:
        log_in(page, base, "juno")

        # A draft saved without photos.
        page.goto(f"{base}/compose")
        expect(page.locator("[data-compose][data-enhanced]")).to_have_count(1)
        page.fill("#id_title", "Plum cake")
        page.get_by_role("button", name="Save draft").tap()
        page.wait_for_url(re.compile(rf"^{re.escape(base)}/n/\d+/$"))
        note = Note.objects.get(title="Plum cake")
        assert note.status == Note.Status.DRAFT
        expect(page.get_by_text("No photos yet")).to_be_visible()
        add = page.locator(".note-nophoto").get_by_role("link", name="Add photos")
        expect(add).to_be_visible()
        shoot(page, f"phone-draft-1-empty-{size}")
        no_sideways_scroll(page)

        # The link lands on the edit page's photo control.
        add.tap()
        page.wait_for_url(f"{base}/n/{note.pk}/edit#photos")
        expect(page.locator("[data-note-edit][data-enhanced]")).to_have_count(1)
        section = page.locator("#photos")
        expect(section.get_by_role("heading", name="Photos")).to_be_visible()

        # Publishing still without a photo: the error is at the photo control.
        page.get_by_label("Published").check()
        page.get_by_role("button", name="Save", exact=True).tap()
        page.wait_for_load_state()
        error = section.get_by_role("alert")
        expect(error).to_contain_text("Add at least one photo to publish.")
        expect(error.get_by_role("link", name="Choose photos")).to_have_attribute(
            "href", "#id_images"
        )
        shoot(page, f"phone-draft-1b-publish-refused-{size}", full=False)
        page.get_by_label("Draft").check()
        # One file at a time: the browser pass's in-memory SQLite refuses two
        # writers at once ("table is locked"); a real database takes both.
        tiles = page.locator("[data-tiles] .tile")
        for n, (name, color, dims) in enumerate(
            [("red", (200, 40, 40), (1200, 900)), ("green", (40, 160, 70), (900, 1200))]
        ):
            page.set_input_files(
                "[data-file-input]", str(solid_jpeg(tmp_path / f"{name}.jpg", color, dims))
            )
            expect(tiles).to_have_count(n + 1)
            expect(tiles.nth(n).locator("progress")).to_have_count(1)
            expect(tiles.nth(n).locator("img.tile-img")).to_have_attribute(
                "src", re.compile("^blob:")
            )
            expect(tiles.nth(n)).to_have_attribute("data-state", "done")
        expect(page.locator("[data-photo-count]")).to_have_text("2 / 9")
        red, green = tile_ids(page)
        shoot(page, f"phone-draft-2-added-{size}", full=False)
        no_sideways_scroll(page)

        # Reorder with the arrows: the green photo becomes the cover.
        earlier = page.get_by_role("button", name="Move photo 2 earlier")
        earlier.tap()
        assert tile_ids(page) == [green, red]
        expect(page.locator("#announcer")).to_have_text("Photo moved to place 1 of 2, the cover.")
        expect(tiles.nth(0).locator("img")).to_have_attribute(
            "alt", re.compile(r"^Photo 1 \(cover\)")
        )
        expect(page.get_by_role("button", name="Move photo 1 earlier")).to_be_hidden()
        shoot(page, f"phone-draft-3-reordered-{size}", full=False)

        # Remove the red one (now second), then publish.
        page.get_by_role("button", name="Remove photo 2").tap()
        expect(tiles).to_have_count(1)
        assert tile_ids(page) == [green]
        expect(page.locator("[data-photo-count]")).to_have_text("1 / 9")
        page.get_by_label("Published").check()
        shoot(page, f"phone-draft-4-ready-{size}", full=False)
        page.get_by_role("button", name="Save", exact=True).tap()
        page.wait_for_url(f"{base}/n/{note.pk}/")
        expect(page.get_by_text("Your note is saved.")).to_be_visible()
        note.refresh_from_db()
        assert note.is_published
        assert list(note.photos.values_list("pk", flat=True)) == [green]
        expect(page.locator(".carousel img")).to_have_count(1)
        shoot(page, f"phone-draft-5-published-{size}", full=False)
        if size == "phone":  # the toast leaves the note's comment bar free
            toast = page.locator(".toast", has_text="Your note is saved.").bounding_box()
            bar = page.locator(".note-bar").bounding_box()
            assert toast and bar and toast["y"] + toast["height"] <= bar["y"], (toast, bar)
        no_sideways_scroll(page)

        assert page.js_errors == []
        assert page.csp_violations == []
    finally:
        page.context.close()


def test_on_a_phone_a_member_collects_a_note_and_comments(  # type: ignore[no-untyped-def]
    live_server, browser
):
    from playwright.sync_api import expect

    author = UserFactory(username="ivy", display_name="Ivy")
    UserFactory(username="kai", display_name="Kai")
    note = NoteFactory(author=author, title="Fig salad", body="Figs, feta, mint.", photos=2)
    page = open_phone(browser, *SIZES["phone"])
    base = live_server.url
    try:
        log_in(page, base, "kai")
        page.goto(f"{base}/n/{note.pk}/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Fig salad")

        # "Save to a board": the sheet is on the screen, whole.
        page.locator(".note-bar .collect-btn").tap()
        sheet = page.get_by_role("dialog", name="Save to a board")
        expect(sheet).to_be_visible()
        page.wait_for_timeout(400)  # the sheet's slide-in
        in_viewport(page, sheet)
        shoot(page, "phone-collect-sheet", full=False)
        sheet.get_by_role("button", name=re.compile("Saved")).tap()
        expect(page.locator(".note-bar .collect-btn.is-on")).to_be_visible()
        assert Collect.objects.filter(note=note, board__owner__username="kai").exists()

        # A comment: sent in place, and the new comment is in view.
        page.locator("#comment-body").tap()
        page.fill("#comment-body", "Making this tonight!")
        page.locator("#comment-form").get_by_role("button", name="Send").tap()
        mine = page.locator("#comment-list .comment", has_text="Making this tonight!")
        expect(mine).to_be_visible()
        expect(mine).to_be_in_viewport()
        page.wait_for_timeout(300)
        in_viewport(page, mine)
        shoot(page, "phone-commented", full=False)
        assert Comment.objects.filter(note=note, author__username="kai").count() == 1
        no_sideways_scroll(page)

        assert page.js_errors == []
        assert page.csp_violations == []
    finally:
        page.context.close()


def test_on_a_desktop_photos_are_reordered_by_dragging(  # type: ignore[no-untyped-def]
    live_server, page, screenshot
):
    from playwright.sync_api import expect

    author = UserFactory(username="ada", display_name="Ada")
    note = NoteFactory(author=author, title="Three teas", photos=3)
    first, second, third = note.photos.values_list("pk", flat=True)
    base = live_server.url
    log_in(page, base, "ada")
    page.goto(f"{base}/n/{note.pk}/edit")
    expect(page.locator("[data-note-edit][data-enhanced]")).to_have_count(1)
    tiles = page.locator("[data-tiles] .tile")
    tiles.nth(2).drag_to(tiles.nth(0))
    assert tile_ids(page) == [third, first, second]
    expect(tiles.nth(0).locator("img")).to_have_attribute("alt", re.compile(r"\(cover\)"))
    screenshot("desktop-edit-dragged-1280")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"{base}/n/{note.pk}/")
    assert list(note.photos.values_list("pk", flat=True)) == [third, first, second]
    assert page.js_errors == []
