#!/usr/bin/env python3
"""Alibaba Cloud's official Python SDK against acs-emulator.

Runs the same scenario twice against one emulator: with the SDK's default signing
(ACS3-HMAC-SHA256, "v3") and with ``signature_algorithm='v2'`` (RPC HMAC-SHA1, and legacy ROA
HMAC-SHA1 for AIWorkspace). Every response is parsed into the SDK's own models; every expected
error is checked by its code and HTTP status. Exits 0 only when every step passed.

Usage:
    acs-emulator --listen 127.0.0.1:8080 --seed tests/sdk/seed.json &
    scenario.py --endpoint 127.0.0.1:8080

The defaults match tests/sdk/seed.json: the demo operator's key assumes the role `sdk-scenario`
(AdministratorAccess), so the scenario tests the wire format rather than a particular policy.
Every option also reads an environment variable (ACS_EMULATOR_ENDPOINT, DEMO_ACCESS_KEY_ID,
DEMO_ACCESS_KEY_SECRET, DEMO_NOPERM_ACCESS_KEY_ID, DEMO_NOPERM_ACCESS_KEY_SECRET,
SCENARIO_ROLE_ARN, DEMO_WORKSPACE_ID, DEMO_RESOURCE_GROUP_ID). Set SCENARIO_TRACEBACK=1 to print
tracebacks of failed steps.
"""

import argparse
import json
import os
import re
import sys
import traceback
import uuid

from alibabacloud_aiworkspace20210204 import models as ws_models
from alibabacloud_aiworkspace20210204.client import Client as WorkspaceClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_resourcemanager20200331 import models as rm_models
from alibabacloud_resourcemanager20200331.client import Client as RmClient
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.models import Config

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
SERVICE_TRUST = {
    "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["pai.aliyuncs.com"]}}],
    "Version": "1",
}
POLICY = {
    "Version": "1",
    "Statement": [{"Effect": "Allow", "Action": ["ram:GetDefaultDomain", "ram:ListApplications"], "Resource": ["*"]}],
}
# One RAM user of the demo seed per mode, so both modes can add a fresh member to one workspace.
MEMBER_FOR_MODE = {"v3": "alice", "v2": "bob"}


class StepFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise StepFailed(message)


def options():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env = os.environ.get
    parser.add_argument("--endpoint", default=env("ACS_EMULATOR_ENDPOINT"), help="host:port of the emulator")
    parser.add_argument("--access-key-id", default=env("DEMO_ACCESS_KEY_ID", "LTAI5tDemoOperator000001"))
    parser.add_argument("--access-key-secret", default=env("DEMO_ACCESS_KEY_SECRET", "DemoOperatorSecret0000000000001"))
    parser.add_argument("--noperm-access-key-id", default=env("DEMO_NOPERM_ACCESS_KEY_ID", "LTAI5tDemoNoPerm00000001"))
    parser.add_argument(
        "--noperm-access-key-secret", default=env("DEMO_NOPERM_ACCESS_KEY_SECRET", "DemoNoPermSecret00000000000001")
    )
    parser.add_argument("--role-arn", default=env("SCENARIO_ROLE_ARN", "acs:ram::1234567890123456:role/sdk-scenario"))
    parser.add_argument("--workspace-id", default=env("DEMO_WORKSPACE_ID", "81231"))
    parser.add_argument("--resource-group-id", default=env("DEMO_RESOURCE_GROUP_ID", "rg-acfmdlcauthdemo01"))
    parser.add_argument("--modes", default="v3,v2", help="comma list of v3 (ACS3-HMAC-SHA256) and v2 (HMAC-SHA1)")
    args = parser.parse_args()
    if not args.endpoint:
        parser.error("--endpoint (or ACS_EMULATOR_ENDPOINT) is required")
    args.endpoint = re.sub(r"^https?://", "", args.endpoint).rstrip("/")
    return args


class Scenario:
    def __init__(self, args):
        self.args = args
        self.results = []  # (mode, step, ok, detail)

    def config(self, mode, key_id, secret, token=None):
        cfg = Config(
            access_key_id=key_id,
            access_key_secret=secret,
            security_token=token,
            endpoint=self.args.endpoint,
            protocol="http",
            region_id="cn-hangzhou",
            read_timeout=10000,
            connect_timeout=5000,
        )
        if mode == "v2":
            cfg.signature_algorithm = "v2"
        return cfg

    def step(self, mode, name, fn):
        try:
            detail = fn()
            self.results.append((mode, name, True, detail or ""))
            return True
        except Exception as e:  # every failure is reported, then the scenario goes on
            if isinstance(e, StepFailed):
                detail = str(e)
            else:
                detail = f"{type(e).__name__}: {getattr(e, 'code', '')} {getattr(e, 'message', e)}"
                if os.environ.get("SCENARIO_TRACEBACK"):
                    detail += "\n" + traceback.format_exc()
            self.results.append((mode, name, False, detail))
            return False

    @staticmethod
    def expect_error(fn, code, status):
        try:
            fn()
        except StepFailed:
            raise
        except Exception as e:
            got_code, got_status = getattr(e, "code", None), getattr(e, "status_code", None)
            check(got_code == code, f"expected error {code}, got {got_code} ({e})")
            check(got_status == status, f"expected HTTP {status} for {code}, got {got_status}")
            request_id = getattr(e, "request_id", None) or (getattr(e, "data", None) or {}).get("RequestId")
            check(bool(request_id), f"{code} carried no RequestId")
            return f"{code} ({status}), RequestId {request_id}"
        raise StepFailed(f"expected error {code}, but the call succeeded")

    def run(self, mode):
        a = self.args
        suffix = f"{mode}-{uuid.uuid4().hex[:8]}"
        role_name = f"ScenarioRole-{suffix}"
        policy_name = f"ScenarioPolicy-{suffix}"
        state = {}

        operator_sts = StsClient(self.config(mode, a.access_key_id, a.access_key_secret))

        def assume_role():
            body = operator_sts.assume_role(
                sts_models.AssumeRoleRequest(role_arn=a.role_arn, role_session_name=f"scenario-{mode}", duration_seconds=3600)
            ).body
            creds = body.credentials
            check(creds.access_key_id.startswith("STS."), f"unexpected AccessKeyId {creds.access_key_id}")
            check(bool(creds.security_token), "no SecurityToken")
            check(DATE.match(creds.expiration), f"Expiration {creds.expiration} is not YYYY-MM-DDTHH:MM:SSZ")
            check(body.assumed_role_user.arn.endswith(f"/scenario-{mode}"), f"AssumedRoleUser.Arn {body.assumed_role_user.arn}")
            check(body.to_map()["Credentials"]["AccessKeyId"] == creds.access_key_id, "to_map round trip")
            state["creds"] = creds
            return f"{creds.access_key_id} until {creds.expiration}"

        if not self.step(mode, "AssumeRole (operator key)", assume_role):
            return
        creds = state["creds"]
        cfg = self.config(mode, creds.access_key_id, creds.access_key_secret, creds.security_token)
        sts = StsClient(cfg)
        ram = RamClient(cfg)
        rm = RmClient(cfg)
        workspace = WorkspaceClient(cfg)

        def caller_identity():
            body = sts.get_caller_identity().body
            check(body.identity_type == "AssumedRoleUser", f"IdentityType {body.identity_type}")
            check(body.arn.endswith(f"/scenario-{mode}"), f"Arn {body.arn}")
            return body.arn

        self.step(mode, "GetCallerIdentity (STS credentials)", caller_identity)

        def create_role():
            body = ram.create_role(
                ram_models.CreateRoleRequest(
                    role_name=role_name,
                    assume_role_policy_document=json.dumps(SERVICE_TRUST),
                    description="created by the SDK scenario",
                )
            ).body
            role = body.role
            check(role.role_name == role_name, f"RoleName {role.role_name}")
            check(role.arn.endswith(f":role/{role_name.lower()}"), f"Arn {role.arn} should lower-case the name")
            check(DATE.match(role.create_date), f"CreateDate {role.create_date}")
            check(json.loads(role.assume_role_policy_document) == SERVICE_TRUST, "trust policy not echoed")
            body.to_map()
            return role.arn

        self.step(mode, "CreateRole", create_role)
        self.step(
            mode,
            "CreateRole again -> EntityAlreadyExists.Role",
            lambda: self.expect_error(
                lambda: ram.create_role(
                    ram_models.CreateRoleRequest(role_name=role_name, assume_role_policy_document=json.dumps(SERVICE_TRUST))
                ),
                "EntityAlreadyExists.Role",
                409,
            ),
        )

        def get_role():
            role = ram.get_role(ram_models.GetRoleRequest(role_name=role_name)).body.role
            check(role.role_id and role.role_id.isdigit(), f"RoleId {role.role_id}")
            check(role.max_session_duration == 3600, f"MaxSessionDuration {role.max_session_duration}")
            check(role.role_principal_name.startswith(f"{role_name}@role."), f"RolePrincipalName {role.role_principal_name}")
            trust = json.loads(role.assume_role_policy_document)
            check(trust["Statement"][0]["Principal"]["Service"] == ["pai.aliyuncs.com"], "trust principal")
            state["principal_name"] = role.role_principal_name
            return role.role_principal_name

        self.step(mode, "GetRole", get_role)

        def create_policy():
            body = ram.create_policy(
                ram_models.CreatePolicyRequest(
                    policy_name=policy_name, policy_document=json.dumps(POLICY), description="scenario policy"
                )
            ).body
            check(body.policy.policy_type == "Custom", f"PolicyType {body.policy.policy_type}")
            check(body.policy.default_version == "v1", f"DefaultVersion {body.policy.default_version}")
            return policy_name

        self.step(mode, "CreatePolicy", create_policy)

        def get_policy():
            body = ram.get_policy(ram_models.GetPolicyRequest(policy_name=policy_name, policy_type="Custom")).body
            check(json.loads(body.default_policy_version.policy_document) == POLICY, "document differs")
            check(body.default_policy_version.is_default_version is True, "IsDefaultVersion")
            check(body.policy.attachment_count == 0, f"AttachmentCount {body.policy.attachment_count}")
            return f"{body.policy.policy_name} {body.policy.default_version}"

        self.step(mode, "GetPolicy", get_policy)

        def attach():
            for name, kind in [(policy_name, "Custom"), ("AliyunOSSFullAccess", "System")]:
                ram.attach_policy_to_role(
                    ram_models.AttachPolicyToRoleRequest(policy_name=name, policy_type=kind, role_name=role_name)
                ).body.to_map()
            return "custom + AliyunOSSFullAccess"

        self.step(mode, "AttachPolicyToRole", attach)
        self.step(
            mode,
            "AttachPolicyToRole again -> EntityAlreadyExists.Role.Policy",
            lambda: self.expect_error(
                lambda: ram.attach_policy_to_role(
                    ram_models.AttachPolicyToRoleRequest(policy_name=policy_name, policy_type="Custom", role_name=role_name)
                ),
                "EntityAlreadyExists.Role.Policy",
                409,
            ),
        )

        def list_policies():
            body = ram.list_policies_for_role(ram_models.ListPoliciesForRoleRequest(role_name=role_name)).body
            attached = {(p.policy_name, p.policy_type) for p in body.policies.policy}
            want = {(policy_name, "Custom"), ("AliyunOSSFullAccess", "System")}
            check(attached == want, f"attached {sorted(attached)}, expected {sorted(want)}")
            check(all(DATE.match(p.attach_date) for p in body.policies.policy), "AttachDate format")
            body.to_map()
            return ", ".join(sorted(n for n, _ in attached))

        self.step(mode, "ListPoliciesForRole", list_policies)

        def update_role():
            trust = {
                "Statement": SERVICE_TRUST["Statement"]
                + [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["ecs.aliyuncs.com"]}}],
                "Version": "1",
            }
            role = ram.update_role(
                ram_models.UpdateRoleRequest(role_name=role_name, new_assume_role_policy_document=json.dumps(trust))
            ).body.role
            check(json.loads(role.assume_role_policy_document) == trust, "new trust policy not echoed")
            check(DATE.match(role.update_date), f"UpdateDate {role.update_date}")
            return "trust policy extended"

        self.step(mode, "UpdateRole", update_role)

        def policy_versions():
            # What the grant engine does on drift: new default versions, rotating at RAM's limit of five.
            for _ in range(4):
                ram.create_policy_version(
                    ram_models.CreatePolicyVersionRequest(policy_name=policy_name, policy_document=json.dumps(POLICY))
                )
            self.expect_error(
                lambda: ram.create_policy_version(
                    ram_models.CreatePolicyVersionRequest(policy_name=policy_name, policy_document=json.dumps(POLICY))
                ),
                "LimitExceeded.Policy.Version",
                409,
            )
            created = ram.create_policy_version(
                ram_models.CreatePolicyVersionRequest(
                    policy_name=policy_name,
                    policy_document=json.dumps(POLICY),
                    set_as_default=True,
                    rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded",
                )
            ).body.policy_version
            check(created.version_id == "v6" and created.is_default_version is True, f"created {created.to_map()}")
            listed = ram.list_policy_versions(
                ram_models.ListPolicyVersionsRequest(policy_name=policy_name, policy_type="Custom")
            ).body
            ids = [v.version_id for v in listed.policy_versions.policy_version]
            check(ids == ["v1", "v3", "v4", "v5", "v6"], f"versions {ids}")
            self.expect_error(
                lambda: ram.delete_policy_version(
                    ram_models.DeletePolicyVersionRequest(policy_name=policy_name, version_id="v6")
                ),
                "DeleteConflict.Policy.Version.Default",
                409,
            )
            ram.delete_policy_version(ram_models.DeletePolicyVersionRequest(policy_name=policy_name, version_id="v1"))
            listed.to_map()
            return "v6 default, v2 rotated out, v1 deleted"

        self.step(mode, "Policy versions (limit, rotation, default undeletable)", policy_versions)
        self.step(
            mode,
            "GetRole of a missing role -> EntityNotExist.Role",
            lambda: self.expect_error(
                lambda: ram.get_role(ram_models.GetRoleRequest(role_name=f"Missing-{suffix}")), "EntityNotExist.Role", 404
            ),
        )
        noperm = RamClient(self.config(mode, a.noperm_access_key_id, a.noperm_access_key_secret))
        self.step(
            mode,
            "GetRole without permission -> NoPermission",
            lambda: self.expect_error(
                lambda: noperm.get_role(ram_models.GetRoleRequest(role_name=role_name)), "NoPermission", 403
            ),
        )

        def rg_attach():
            rm.attach_policy(
                rm_models.AttachPolicyRequest(
                    policy_name=policy_name,
                    policy_type="Custom",
                    principal_type="ServiceRole",
                    principal_name=state["principal_name"],
                    resource_group_id=a.resource_group_id,
                )
            ).body.to_map()
            body = rm.list_policy_attachments(
                rm_models.ListPolicyAttachmentsRequest(principal_name=state["principal_name"], principal_type="ServiceRole")
            ).body
            seen = {(p.policy_name, p.resource_group_id) for p in body.policy_attachments.policy_attachment}
            account = a.role_arn.split(":")[3]
            want = {(policy_name, account), ("AliyunOSSFullAccess", account), (policy_name, a.resource_group_id)}
            check(seen == want and body.total_count == 3, f"attachments {sorted(seen)}, expected {sorted(want)}")
            body.to_map()
            return f"{body.total_count} attachments (2 account-scope, 1 in {a.resource_group_id})"

        if "principal_name" in state:
            self.step(mode, "ResourceManager AttachPolicy + ListPolicyAttachments", rg_attach)

        user_name = MEMBER_FOR_MODE.get(mode, "alice")

        def user_policies():
            ram.attach_policy_to_user(
                ram_models.AttachPolicyToUserRequest(policy_name=policy_name, policy_type="Custom", user_name=user_name)
            ).body.to_map()
            body = ram.list_policies_for_user(ram_models.ListPoliciesForUserRequest(user_name=user_name)).body
            attached = {(p.policy_name, p.policy_type) for p in body.policies.policy}
            check((policy_name, "Custom") in attached, f"attached to {user_name}: {sorted(attached)}")
            body.to_map()
            return f"{policy_name} on {user_name}"

        self.step(mode, "AttachPolicyToUser + ListPoliciesForUser", user_policies)

        def member_round_trip():
            user = ram.get_user(ram_models.GetUserRequest(user_name=user_name)).body.user
            check(user.user_id and user.user_id.isdigit(), f"UserId {user.user_id}")
            listed = workspace.list_members(a.workspace_id, ws_models.ListMembersRequest(user_id=user.user_id)).body
            if listed.total_count:
                note = " (already a member from an earlier run; CreateMember skipped)"
            else:
                body = workspace.create_member(
                    a.workspace_id,
                    ws_models.CreateMemberRequest(
                        members=[ws_models.CreateMemberRequestMembers(user_id=user.user_id, roles=["PAI.AlgoDeveloper"])]
                    ),
                ).body
                check(len(body.members) == 1 and body.members[0].user_id == user.user_id, "CreateMember answer")
                body.to_map()
                note = ""
            listed = workspace.list_members(a.workspace_id, ws_models.ListMembersRequest(page_size=100)).body
            mine = [m for m in listed.members if m.user_id == user.user_id]
            check(len(mine) == 1, f"{user_name} ({user.user_id}) not listed once in {[m.user_id for m in listed.members]}")
            check("PAI.AlgoDeveloper" in mine[0].roles, f"roles {mine[0].roles}")
            check(mine[0].member_name == user_name, f"MemberName {mine[0].member_name}")
            listed.to_map()
            workspace.add_member_role(
                a.workspace_id, mine[0].member_id, "PAI.AlgoOperator", ws_models.AddMemberRoleRequest()
            ).body.to_map()
            got = workspace.list_members(a.workspace_id, ws_models.ListMembersRequest(user_id=user.user_id)).body
            roles = set(got.members[0].roles) if got.members else set()
            check(roles >= {"PAI.AlgoDeveloper", "PAI.AlgoOperator"}, f"roles after AddMemberRole {sorted(roles)}")
            return f"{user_name} is member {mine[0].member_id}{note}"

        self.step(mode, "Workspace member round trip (CreateMember, ListMembers, AddMemberRole)", member_round_trip)

    def report(self):
        width = max((len(f"[{m}] {s}") for m, s, _, _ in self.results), default=10)
        for mode, name, ok, detail in self.results:
            label = f"[{mode}] {name}"
            print(f"{'PASS' if ok else 'FAIL'}  {label:<{width}}  {detail}")
        failed = [r for r in self.results if not r[2]]
        print(f"\n{len(self.results) - len(failed)} passed, {len(failed)} failed")
        return not failed


def main():
    args = options()
    scenario = Scenario(args)
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        if mode not in ("v3", "v2"):
            print(f"unknown mode {mode!r} (v3 or v2)", file=sys.stderr)
            return 2
        scenario.run(mode)
    return 0 if scenario.report() else 1


if __name__ == "__main__":
    sys.exit(main())
