"""A new member posts a photo note in a real browser and finds it on
Discover: sign up, compose with a real JPEG (per-file upload with preview
and progress), publish, see the note page and the grid, like it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from community.models import Like, Note, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_jpeg(path: Path) -> Path:
    """A 1200x900 photo-like JPEG: a warm gradient with a round "plate"."""
    image = Image.linear_gradient("L").resize((1200, 900)).convert("RGB")
    tinted = Image.merge(
        "RGB",
        [
            band.point(lambda v, k=k: 150 + v // k)
            for k, band in zip((3, 4, 6), image.split(), strict=True)
        ],
    )
    draw = ImageDraw.Draw(tinted)
    draw.ellipse((380, 230, 820, 670), fill=(245, 236, 220))
    draw.ellipse((470, 320, 730, 580), fill=(214, 140, 70))
    tinted.save(path, "JPEG", quality=88)
    return path


def test_member_signs_up_posts_a_photo_note_and_likes_it(  # type: ignore[no-untyped-def]
    live_server, page, screenshot, tmp_path
):
    from playwright.sync_api import expect

    base = live_server.url

    # Sign up: lands on Discover, logged in.
    page.goto(f"{base}/signup")
    page.fill("#id_username", "pancake_fan")
    page.fill("#id_email", "pancakes@example.com")
    page.fill("#id_password", "fluffy-stacks-every-sunday")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_text("Welcome to Sprout, @pancake_fan!")).to_be_visible()
    screenshot("01-signed-up")

    # Compose: the photo uploads on its own, with a preview and a progress bar.
    page.get_by_role("link", name="Post").first.click()
    page.wait_for_url(f"{base}/compose")
    expect(page.locator("[data-compose][data-enhanced]")).to_have_count(1)
    page.set_input_files("[data-file-input]", str(make_jpeg(tmp_path / "pancakes.jpg")))
    tile = page.locator(".tile")
    expect(tile).to_have_count(1)
    expect(tile.locator("progress")).to_have_count(1)
    expect(tile.locator("img.tile-img")).to_have_attribute("src", re.compile(r"^blob:"))
    screenshot("02-compose-uploading")
    expect(tile).to_have_attribute("data-state", "done")
    expect(page.locator("[data-photo-count]")).to_have_text("1 / 9")
    page.fill("#id_title", "Sunday pancakes")
    page.fill("#id_body", "Fluffy stack with berries. #breakfast")
    expect(page.locator("[data-counter-for=id_title]")).to_have_text("15 / 100")
    screenshot("03-compose-ready")

    # Publish: lands on the new note's page.
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/n/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunday pancakes")
    expect(page.locator(".carousel img")).to_have_attribute("alt", "Sunday pancakes")
    expect(page.get_by_role("link", name="#breakfast").first).to_be_visible()
    note = Note.objects.get(title="Sunday pancakes")
    assert note.is_published
    assert note.author == User.objects.get(username="pancake_fan")
    assert note.photos.count() == 1
    screenshot("04-note-page")

    # Discover shows it in the masonry grid.
    page.get_by_role("link", name="Discover").first.click()
    page.wait_for_url(f"{base}/")
    expect(page.locator(".grid.is-masonry")).to_have_count(1)
    card = page.locator(".card", has_text="Sunday pancakes")
    expect(card).to_be_visible()
    expect(card.locator("img")).to_have_attribute("alt", "Sunday pancakes")
    screenshot("05-discover")

    # Like it from the card: the button and its count change in place.
    like = card.get_by_role("button", name=re.compile("Like"))
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    liked = card.get_by_role("button", name=re.compile("Like"))
    expect(liked).to_have_attribute("aria-pressed", "true")
    expect(liked.locator(".like-count")).to_contain_text("1")
    expect(page.locator("#announcer")).to_contain_text("Liked")
    assert Like.objects.filter(note=note, user__username="pancake_fan").exists()
    screenshot("06-discover-liked")

    assert page.js_errors == []
    assert page.csp_violations == []
