"""The ConnectWise security-role permissions the tool's API members need, and nothing more.

ConnectWise grants an API member what its security role allows (System > Security Roles):
per module and action, an Add, Edit, Delete and Inquire level (All, My, None). ConnectWise
publishes no per-endpoint table; these rows come from integrators that document their
own API members' roles for the same records:
- Commvault, "ConnectWise Manage Permissions" (documentation.commvault.com/11.44/software/
  connectwise_manage_permissions.html): Finance > Agreements Add/Edit/Inquire All, Delete
  None, "for listing agreements per company, reading agreement additions, creating new
  additions, and updating usage quantities (PATCH) on additions"; Companies > Company
  Maintenance Inquire All; Service Desk > Service Tickets Add/Edit/Inquire All, Delete None;
  Procurement > Product Catalog Inquire All "for querying items by identifier".
- N-able, "Create a Custom Security Role" (documentation.n-able.com/remote-management/
  userguide/Content/connectwise_manage_custom_role.htm): Service Desk > Close Service
  Tickets Edit All, Inquire All; System > Table Setup Inquire All.
- N-able N-central, "ConnectWise Manage API Member security matrix": System > Table Setup
  Inquire All for boards, statuses and priorities; Procurement > Product Catalog Inquire.
Unverified: which level of Close Service Tickets ConnectWise checks when an API member
moves a ticket to a closed status (N-able grants Edit; Cyberfox's "Permissions for API
Member Security Role" grants Add and Edit); that agreement types are covered by Finance >
Agreements. `reconciler doctor` reads each kind of record, and `doctor --write-probe`
creates and closes a ticket, so a site proves its own role.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL, NONE = "All", "None"


@dataclass(frozen=True)
class Permission:
    """One row of a security role: module > action with its four levels."""

    module: str
    action: str
    add: str = NONE
    edit: str = NONE
    delete: str = NONE
    inquire: str = NONE
    why: str = ""

    @property
    def where(self) -> str:
        return f"{self.module} > {self.action}"


# The member that applies plans and sends (apply, run-due, send-now).
WRITER: tuple[Permission, ...] = (
    Permission("Companies", "Company Maintenance", inquire=ALL,
               why="read companies (plan, verify, import, sends)"),
    Permission("Finance", "Agreements", add=ALL, edit=ALL, inquire=ALL,
               why="read agreements, their types and additions; create additions, set "
                   "their quantities, cancel them (never deleted)"),
    Permission("Procurement", "Product Catalog", inquire=ALL,
               why="the catalog items additions name (doctor checks they exist)"),
    Permission("Service Desk", "Service Tickets", add=ALL, edit=ALL, inquire=ALL,
               why="create billing and summary tickets, read them back by key, mark a "
                   "race's duplicate (tickets are never deleted)"),
    Permission("Service Desk", "Close Service Tickets", edit=ALL, inquire=ALL,
               why="close a race's duplicate ticket"),
    Permission("System", "Table Setup", inquire=ALL,
               why="read boards, their statuses and types, and priorities"),
)

# The member PR plans, the drift check, verify, audit and doctor run with: reads only.
READER: tuple[Permission, ...] = (
    Permission("Companies", "Company Maintenance", inquire=ALL, why="read companies"),
    Permission("Finance", "Agreements", inquire=ALL,
               why="read agreements, their types and additions"),
    Permission("Procurement", "Product Catalog", inquire=ALL, why="read catalog items"),
    Permission("Service Desk", "Service Tickets", inquire=ALL,
               why="read billing tickets and their notes"),
    Permission("System", "Table Setup", inquire=ALL,
               why="read boards, statuses, types and priorities"),
)

# Which row lets the API member read each kind of record `Gateway.read_access` tries.
READS: dict[str, Permission] = {
    "companies": WRITER[0], "agreements": WRITER[1], "agreement types": WRITER[1],
    "agreement additions": WRITER[1], "catalog items": WRITER[2], "tickets": WRITER[3],
    "ticket notes": WRITER[3], "boards": WRITER[5], "board statuses": WRITER[5],
    "board types": WRITER[5], "priorities": WRITER[5],
}


def grant(permission: Permission, level: str = "inquire") -> str:
    """How to grant one level, in the words of ConnectWise's screen."""
    return (f"System > Security Roles > (the API member's role) > {permission.where}: "
            f"{level.capitalize()} Level {ALL}")
