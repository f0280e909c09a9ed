"""The Notes example with Windows sign-on, in a browser: the page shows who is signed in."""
import pytest

from tests.smoke import browser, sign_on

APP_MODULE = "examples.notes:create_app()"
SIGN_ON = True


@pytest.fixture(scope="module")
def signed_in_page(stack):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.executable(), args=browser.ARGS, headless=True)
        try:
            if stack.os_type == "linux":  # the stand-in's model: Basic credentials on every request
                context = chromium.new_context(extra_http_headers={"Authorization": sign_on.basic_header()})
            else:  # Chrome answers IIS's NTLM challenge with the account
                context = chromium.new_context(http_credentials={"username": sign_on.USER,
                                                                 "password": sign_on.PASSWORD})
            yield context.new_page()
        finally:
            chromium.close()


def test_the_notes_page_shows_who_is_signed_in(signed_in_page, base, prefix):
    signed_in_page.goto(f"{base}{prefix}/")
    shown = signed_in_page.locator("span.user").inner_text()
    assert shown.startswith("Signed in as ") and sign_on.user_name_matches(shown.removeprefix("Signed in as "))
