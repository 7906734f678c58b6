"""Authorization-matrix rows (see test_authz_matrix.py) for the member's consent and the partner
console: another user's org or link answers 404 like an unknown one."""
from partner_support import admin, invite, link, new_key, new_org


def linked_org(owner):
    org = new_org(owner.srv)
    link(owner, invite(owner.srv, org))
    return {"org_id": org}


def admin_org(owner):
    org = new_org(owner.srv)
    admin(owner.srv, "org", "add-admin", org, owner.email)
    return {"org_id": org}


def admin_org_key(owner):
    p = admin_org(owner)
    p["key_id"] = new_key(owner.srv, p["org_id"], "members:read")["record"]["id"]
    return p


ROWS = {
    "me.partners.unlink": {"setup": linked_org, "owner_status": {204}},
    "orgs.keys.list": {"setup": admin_org, "owner_status": {200}},
    "orgs.keys.create": {"setup": admin_org, "owner_status": {201},
                         "request": lambda p: {"json": {"scopes": ["members:read"]}}},
    "orgs.keys.revoke": {"setup": admin_org_key, "owner_status": {204}},
    "orgs.members.list": {"setup": admin_org, "owner_status": {200}},
    "orgs.invites.list": {"setup": admin_org, "owner_status": {200}},
    "orgs.invites.create": {"setup": admin_org, "owner_status": {201},
                            "request": lambda p: {"json": {"days": 3}}},
}
