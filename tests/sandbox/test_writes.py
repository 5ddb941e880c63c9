"""POST / PATCH / PUT / DELETE with ConnectWise's validation rules and error bodies."""

from __future__ import annotations

ADDITIONS = "finance/agreements/102/additions"


def test_post_addition_by_identifier_defaults_from_catalog(client):
    r = client.post(ADDITIONS, json={"product": {"identifier": "TM-APEXONE"},
                                     "billCustomer": "Billable", "quantity": 38,
                                     "effectiveDate": "2026-11-01T00:00:00Z"})
    assert r.status_code == 201
    body = r.json()
    assert body["product"]["id"] == 2 and body["product"]["identifier"] == "TM-APEXONE"
    assert body["agreementId"] == 102 and body["unitPrice"] == 6.25
    assert body["quantity"] == 38 and body["effectiveDate"] == "2026-11-01T00:00:00Z"
    assert body["_info"]["lastUpdated"] == "2026-11-25T12:00:00Z"
    assert client.get(f"{ADDITIONS}/{body['id']}").json()["id"] == body["id"]


def test_post_addition_by_product_id(client):
    r = client.post(ADDITIONS, json={"product": {"id": 5}, "billCustomer": "NoCharge"})
    assert r.status_code == 201 and r.json()["product"]["identifier"] == "TM-CAS"


def test_post_addition_missing_product_is_connectwise_400(client):
    r = client.post(ADDITIONS, json={"billCustomer": "Billable"})
    assert r.status_code == 400
    assert r.json() == {"code": "InvalidObject", "message": "addition object is invalid",
                        "errors": [{"code": "NullValue", "message": "product is required",
                                    "resource": "addition", "field": "product"}]}


def test_post_addition_reports_every_error(client):
    r = client.post(ADDITIONS, json={"product": {"identifier": "NOPE"}, "billCustomer": "Maybe",
                                     "quantity": "lots"})
    fields = sorted(e["field"] for e in r.json()["errors"])
    assert r.status_code == 400 and fields == ["billCustomer", "product", "quantity"]


def test_addition_under_a_missing_agreement_is_404(client):
    r = client.post("finance/agreements/999/additions",
                    json={"product": {"id": 1}, "billCustomer": "Billable"})
    assert r.status_code == 404 and r.json()["code"] == "NotFound"
    assert client.get("finance/agreements/999/additions").status_code == 404


def test_addition_of_another_agreement_is_404(client):
    assert client.get("finance/agreements/102/additions/1001").status_code == 404


def test_unknown_body_fields_are_ignored(client):
    r = client.post(ADDITIONS, json={"product": {"id": 1}, "billCustomer": "Billable",
                                     "flavour": "mint"})
    assert r.status_code == 201 and "flavour" not in r.json()


def test_invalid_json_is_400(client):
    r = client.post(ADDITIONS, content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "InvalidObject"


def test_patch_replace_cancel_and_remove(client):
    url = "finance/agreements/104/additions/1004"
    r = client.patch(url, json=[{"op": "replace", "path": "billCustomer", "value": "Billable"},
                                {"op": "replace", "path": "/quantity", "value": 5}])
    assert r.status_code == 200
    assert r.json()["billCustomer"] == "Billable" and r.json()["quantity"] == 5
    r = client.patch(url, json=[{"op": "add", "path": "cancelledDate",
                                 "value": "2026-11-24T00:00:00Z"}])
    assert r.json()["cancelledDate"] == "2026-11-24T00:00:00Z"
    assert r.json()["agreementStatus"] == "Cancelled"
    r = client.patch(url, json=[{"op": "remove", "path": "cancelledDate"}])
    assert r.json().get("cancelledDate") is None and r.json()["agreementStatus"] == "Active"


def test_patch_paths_are_case_sensitive(client):
    r = client.patch("finance/agreements/104/additions/1004",
                     json=[{"op": "replace", "path": "Quantity", "value": 5}])
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "Quantity"


def test_patch_bad_op_and_bad_body_are_400(client):
    url = "finance/agreements/104/additions/1004"
    assert client.patch(url, json=[{"op": "move", "path": "quantity", "value": 1}]
                        ).status_code == 400
    assert client.patch(url, json={"op": "replace"}).status_code == 400
    assert client.patch(url, json=[{"op": "replace", "path": "quantity"}]).status_code == 400


def test_patch_removing_a_required_field_is_400(client):
    r = client.patch("finance/agreements/104/additions/1004",
                     json=[{"op": "remove", "path": "billCustomer"}])
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "NullValue"


def test_patch_a_reference_whole_or_by_key(client):
    r = client.patch("service/tickets/5002", json=[
        {"op": "replace", "path": "company", "value": {"identifier": "ACME"}}])
    assert r.json()["company"]["id"] == 19
    r = client.patch("service/tickets/5002", json=[
        {"op": "replace", "path": "company/id", "value": 21}])
    assert r.json()["company"]["identifier"] == "GLOBEX"


def test_put_replaces_the_record(client):
    url = "finance/agreements/104/additions/1005"
    r = client.put(url, json={"product": {"identifier": "TM-APEXONE"}, "billCustomer": "NoCharge",
                              "quantity": 3})
    assert r.status_code == 200 and r.json()["billCustomer"] == "NoCharge"
    assert r.json()["id"] == 1005 and r.json()["_info"]["dateEntered"] == "2026-10-01T12:00:00Z"
    assert client.put(url, json={"quantity": 3}).status_code == 400


def test_delete_is_204_then_404(client):
    url = "finance/agreements/104/additions/1007"
    r = client.delete(url)
    assert r.status_code == 204 and r.content == b""
    assert client.get(url).status_code == 404


def test_delete_in_use_is_409(client):
    r = client.delete("company/companies/19")
    assert r.status_code == 409


def test_company_identifier_must_be_unique(client):
    r = client.post("company/companies", json={"identifier": "acme", "name": "Again"})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "ObjectExists"
    r = client.post("company/companies", json={"identifier": "NEWCO", "name": "New Co"})
    assert r.status_code == 201 and r.json()["status"]["name"] == "Active"


def test_agreement_requires_contact_and_resolves_type_by_name(client):
    r = client.post("finance/agreements", json={"name": "X", "type": {"name": "Managed Service"},
                                                "company": {"identifier": "PIEDPIPER"}})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "contact"
    r = client.post("finance/agreements", json={"name": "X", "type": {"name": "Managed Service"},
                                                "company": {"identifier": "PIEDPIPER"},
                                                "contact": {"id": 11}})
    assert r.status_code == 201 and r.json()["agreementStatus"] == "Active"


def test_ticket_create_resolves_references_and_hides_initial_description(client):
    r = client.post("service/tickets", json={
        "summary": "Billing for 2026-11", "company": {"identifier": "ACME"},
        "board": {"name": "Trend Micro Billing"}, "status": {"name": "New"},
        "priority": {"name": "Priority 4 - Low"}, "type": {"name": "Trend Micro"},
        "externalXRef": "tmrm:billing:ACME:2026-11", "initialDescription": "42 seats"})
    assert r.status_code == 201
    body = r.json()
    assert body["board"]["id"] == 2 and body["status"]["id"] == 5 and body["type"]["id"] == 3
    assert body["priority"]["id"] == 4 and "initialDescription" not in body
    notes = client.get(f"service/tickets/{body['id']}/notes").json()
    assert [n["text"] for n in notes] == ["42 seats"] and notes[0]["detailDescriptionFlag"]
    found = client.get("service/tickets", params={
        "conditions": 'externalXRef = "tmrm:billing:ACME:2026-11"'}).json()
    assert [t["id"] for t in found] == [body["id"]]


def test_ticket_status_must_belong_to_its_board(client):
    r = client.post("service/tickets", json={
        "summary": "s", "company": {"id": 19}, "board": {"name": "Trend Micro Billing"},
        "status": {"id": 2}})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "status"


def test_ticket_summary_limit_and_required_company(client):
    r = client.post("service/tickets", json={"summary": "x" * 101, "company": {"id": 19}})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "summary"
    r = client.post("service/tickets", json={"summary": "ok"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "company"
    r = client.post("service/tickets", json={"summary": "x" * 100, "company": {"id": 19}})
    assert r.status_code == 201 and r.json()["board"]["name"] == "Help Desk"


def test_notes_post_and_text_required(client):
    assert client.post("service/tickets/5002/notes", json={}).status_code == 400
    r = client.post("service/tickets/5002/notes",
                    json={"text": "done", "internalAnalysisFlag": True})
    assert r.status_code == 201 and r.json()["ticketId"] == 5002


def test_board_statuses_and_types(client):
    statuses = client.get("service/boards/2/statuses").json()
    assert [s["name"] for s in statuses] == ["New", "In Progress", "Closed"]
    types = client.get("service/boards/2/types", params={"conditions": 'name = "Trend Micro"'})
    assert [t["id"] for t in types.json()] == [3]
    assert client.get("service/boards/9/statuses").status_code == 404
    r = client.post("service/boards/2/statuses", json={"name": "Waiting"})
    assert r.status_code == 201 and r.json()["board"]["id"] == 2


def test_agreement_types_route_before_agreement_ids(client):
    r = client.get("finance/agreements/types")
    assert r.status_code == 200 and r.json()[0]["name"] == "TMRM Management Solution"
    assert client.get("finance/agreements/types/count").json() == {"count": 4}
    assert client.get("finance/agreements/types/2").json()["name"] == "Managed Service"


def test_method_not_allowed(client):
    assert client.delete("company/companies").status_code == 405


def test_lookups_follow_renames_and_deletes(client):
    r = client.patch("company/companies/31", json=[
        {"op": "replace", "path": "identifier", "value": "SKYNET"}])
    assert r.status_code == 200
    ticket = {"summary": "s", "company": {"identifier": "SKYNET"}}
    assert client.post("service/tickets", json=ticket).json()["company"]["id"] == 31
    ticket["company"] = {"identifier": "CYBERDYNE"}
    assert client.post("service/tickets", json=ticket).status_code == 400
    # the old identifier is free again, the new one is taken
    assert client.post("company/companies", json={"identifier": "CYBERDYNE",
                                                  "name": "C2"}).status_code == 201
    assert client.post("company/companies", json={"identifier": "skynet",
                                                  "name": "C3"}).status_code == 400
    new = client.post("company/companies", json={"identifier": "GONE", "name": "G"}).json()
    assert client.delete(f"company/companies/{new['id']}").status_code == 204
    assert client.post("company/companies", json={"identifier": "GONE",
                                                  "name": "G"}).status_code == 201


def test_deleting_an_agreement_deletes_its_additions(app, client):
    assert client.delete("finance/agreements/120").status_code == 204
    with app.store.session() as state:
        assert state.by_key("additions", "agreementId", "120") == []
        assert state.find("additions", 1024) is None
    assert client.get("finance/agreements/120/additions").status_code == 404


def test_conditions_on_last_updated_find_recent_changes(client):
    client.patch("finance/agreements/104/additions/1005",
                 json=[{"op": "replace", "path": "quantity", "value": 21}])
    r = client.get("finance/agreements/104/additions",
                   params={"conditions": "_info/lastUpdated > [2026-11-01T00:00:00Z]"})
    assert [a["id"] for a in r.json()] == [1005]


def test_any_json_body_gets_a_4xx_or_a_record_never_a_500(client):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=4),
                        st.floats(allow_nan=False, allow_infinity=False))
    values = st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["id", "identifier", "name", "x"]), inner, max_size=3)),
        max_leaves=6)
    keys = st.sampled_from(["product", "billCustomer", "quantity", "effectiveDate",
                            "cancelledDate", "unitPrice", "description", "agreementId", "id"])

    @settings(max_examples=150, deadline=None)
    @given(st.one_of(st.dictionaries(keys, values, max_size=5), values))
    def answers(body):
        r = client.post(ADDITIONS, json=body)
        assert r.status_code in (201, 400), r.text
        r = client.patch("finance/agreements/104/additions/1005",
                         json=[{"op": "replace", "path": "quantity", "value": body}])
        assert r.status_code in (200, 400), r.text

    answers()
