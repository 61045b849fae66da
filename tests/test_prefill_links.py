"""Links into a flow carry what to fill in (?order=, ?topic=, ?article=, ?sku=, ?sid=, ?vorlage=): one schema
reads them, and an odd value is left out, so the page from a mistyped or tampered link still opens."""
from __future__ import annotations

import pytest

from app.core.schemas import PrefillQuery
from tests.conftest import login

ODD_VALUES = ["9" * 30, "x" * 10_000, "%E2%80%AE", "1e9", "-1", "[]", "%C3%A4%C3%B6", "%09"]


@pytest.mark.parametrize("path", [
    "/retouren?order={v}", "/widerruf?order={v}", "/kontakt?order={v}", "/kontakt?topic={v}&article={v}",
    "/hilfe/retouren/rueckgabe?sid={v}", "/hilfe/retouren/rueckgabe?sid=5&sid={v}",
])
@pytest.mark.parametrize("value", ODD_VALUES)
def test_a_page_opens_whatever_its_link_carries(client, path, value):
    response = client.get(path.format(v=value))
    assert response.status_code == 200, (path, value, response.status_code)


def test_prefill_values_that_fit_are_used_and_odd_ones_left_out(app):
    with app.test_request_context("/kontakt?order=100234&topic=" + "x" * 500 + "&sku=A-1&sku=B-2&sid=12"):
        from app.core.schemas import parse_prefill

        prefill = parse_prefill(PrefillQuery)
    assert (prefill.order, prefill.topic, prefill.sku, prefill.sid) == ("100234", None, ["A-1", "B-2"], 12)
    with app.test_request_context("/hilfe/retouren/rueckgabe?sid=99999999999999999999&order=" + "7" * 41):
        prefill = parse_prefill(PrefillQuery)
    assert (prefill.sid, prefill.order) == (None, None)


def test_the_contact_form_fills_in_the_article_from_the_link_only_when_it_fits(client, make_user):
    make_user()
    login(client)
    page = client.get("/kontakt?topic=lieferung&article=rueckgabe").get_data(as_text=True)
    assert 'value="rueckgabe"' in page
    page = client.get("/kontakt?topic=lieferung&article=" + "a" * 121).get_data(as_text=True)
    assert "a" * 121 not in page
