"""The tenant picker and a tenant's admin page, drawn by headless Chromium.

The pages are the real responses of a logged-in staff client (the picker, then a change
list after picking), saved with their static files pointed at Django's own admin assets;
Chromium draws them. A probe script reads back what was drawn: the admin stylesheet applied
(the header has its background) and the active-tenant banner visible with the tenant's name.
Screenshots are written next to the pages (``--basetemp`` keeps them for a look).
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tenancy import tenant_context
from tests.analytics.browser import chromium, dump_dom, screenshot
from tests.factories import CustomerFactory
from tests.tenancy.conftest import logged_in

pytestmark = [pytest.mark.rls]

PROBE = """<script>
window.addEventListener('load', () => {
  const box = (sel) => { const el = document.querySelector(sel); if (!el) return null;
    const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return {height: r.height, width: r.width, background: s.backgroundColor, text: el.innerText}; };
  document.body.setAttribute('data-probe', JSON.stringify(
    {header: box('#header'), banner: box('#tenant-banner'), table: box('#result_list'),
     buttons: [...document.querySelectorAll('#result_list input[type=submit]')].map((b) => b.value)}));
});
</script>"""


def static_root() -> Path:
    base = finders.find("admin/css/base.css")
    assert base, "django.contrib.admin's static files are not found"
    return Path(base).parents[2]


def save_page(html: bytes, path: Path) -> Path:
    text = html.decode().replace('"/static/', f'"{static_root().as_uri()}/')
    path.write_text(text.replace("</body>", PROBE + "</body>"))
    return path


def probe(page: Path) -> dict:
    found = re.search(r"data-probe=\"([^\"]*)\"", dump_dom(page))
    assert found, "the probe script did not run"
    return json.loads(found.group(1).replace("&quot;", '"'))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_picker_and_admin_page_in_headless_chromium(committed, staff_users, tmp_path: Path) -> None:
    if chromium() is None:
        pytest.skip("chromium is not installed (Debian package `chromium`; .ci/run installs it)")
    acme = committed.tenant("acme-browser", name="Acme Browser Co")
    committed.tenant("globex-browser", name="Globex Browser Inc")
    committed.tenant("sleepy-browser", name="Sleepy Browser", is_active=False)
    with tenant_context(acme):
        CustomerFactory.create_batch(3)
    client = logged_in(staff_users(superuser=True))

    picker = save_page(client.get("/admin/tenant/").content, tmp_path / "picker.html")
    assert client.post("/admin/tenant/", {"tenant": str(acme.id)}).status_code == 302
    listing = save_page(client.get("/admin/models_app/customer/").content, tmp_path / "customers.html")

    drawn = probe(picker)
    assert drawn["header"]["background"] not in {"rgba(0, 0, 0, 0)", "transparent"}, "admin CSS not applied"
    assert drawn["table"] and drawn["table"]["height"] > 0
    for name in ("Acme Browser Co", "Globex Browser Inc", "Sleepy Browser"):
        assert name in drawn["table"]["text"]
    # A superuser sees every tenant of the database (other suites' tenants too): ours are among them.
    buttons = drawn["buttons"]
    assert set(buttons) == {"Administer", "Administer although inactive"}, buttons
    assert buttons.count("Administer") >= 2
    assert "No tenant picked" in drawn["banner"]["text"]

    drawn = probe(listing)
    assert drawn["banner"]["height"] > 0 and drawn["banner"]["width"] > 0
    assert "Tenant: Acme Browser Co (acme-browser)" in drawn["banner"]["text"]
    assert drawn["banner"]["background"] != drawn["header"]["background"]
    assert drawn["table"] and drawn["table"]["height"] > 0

    for page in (picker, listing):
        shot = screenshot(page, page.with_suffix(".png"), size="1280,800")
        assert png_size(shot) == (1280, 800)
