"""Authorization-matrix rows (see test_authz_matrix.py) for the partner console's webhook routes
(/v1/orgs/{org_id}/webhooks..., a signed-in org admin): another user gets the one 404 of an
unknown org. The partner-key routes (/v1/partner/webhooks...) are in the scope matrix
(test_partner_scope_matrix.py). test_authz_matrix.py's server allows loopback webhooks, and the
endpoints point at a closed loopback port: the test event's delivery is refused at once and
retried, never sent outside."""
from authz_rows_partners import admin_org

HOOK_URL = "http://127.0.0.1:9/hook"  # discard port: nothing listens


def admin_org_endpoint(owner):
    p = admin_org(owner)
    r = owner.post("/v1/orgs/%s/webhooks" % p["org_id"],
                   json={"url": HOOK_URL, "event_types": ["member.linked"]})
    assert r.status_code == 201, r.text
    p["id"] = r.json()["id"]
    return p


def admin_org_delivery(owner):
    """A delivery of the org (a test event; pending, so the owner's redelivery is 409)."""
    p = admin_org_endpoint(owner)
    r = owner.post("/v1/orgs/%s/webhooks/%s/test" % (p["org_id"], p["id"]))
    assert r.status_code == 202, r.text
    items = owner.get("/v1/orgs/%s/webhook-deliveries" % p["org_id"]).json()["items"]
    p["id"] = items[0]["id"]
    return p


ROWS = {
    "orgs.webhooks.create": {"setup": admin_org, "owner_status": {201},
                             "request": lambda p: {"json": {"url": HOOK_URL,
                                                            "event_types": ["member.linked"]}}},
    "orgs.webhooks.list": {"setup": admin_org, "owner_status": {200}},
    "orgs.webhooks.delete": {"setup": admin_org_endpoint, "owner_status": {204}},
    "orgs.webhooks.test": {"setup": admin_org_endpoint, "owner_status": {202}},
    "orgs.webhooks.deliveries": {"setup": admin_org, "owner_status": {200}},
    "orgs.webhooks.redeliver": {"setup": admin_org_delivery, "owner_status": {202, 409}},
}
