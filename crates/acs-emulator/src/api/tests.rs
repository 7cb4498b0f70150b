//! Every API's success shape and error paths, called directly on a [`State`] (no HTTP).

use super::*;
use crate::seed::{
    DEMO_NOPERM_USER, DEMO_OPERATOR_POLICY_NAME, DEMO_OPERATOR_USER, DEMO_RESOURCE_GROUP_ID, DEMO_ROLE_ARN,
    DEMO_ROLE_NAME, DEMO_WORKSPACE_ID, Seed,
};

const TRUST_PAI: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["pai.aliyuncs.com"]}}],"Version":"1"}"#;
const DOC: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"*"}]}"#;

fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_700_000_000).expect("valid")
}

/// The demo account plus a role `tester` holding AdministratorAccess, so these tests do not depend
/// on the content of `policies/operator-policy.json` (owned by the grant engine).
fn demo() -> State {
    let mut seed = Seed::demo();
    seed.roles.push(crate::seed::SeedRole {
        name: "tester".into(),
        trust_policy: serde_json::from_str(TRUST_PAI).expect("trust"),
        policies: vec![crate::seed::SeedPolicyRef {
            kind: "System".into(),
            name: "AdministratorAccess".into(),
        }],
        description: None,
        max_session_duration: None,
    });
    State::from_seed(&seed, now()).expect("demo seed")
}

fn root() -> Identity {
    Identity {
        kind: IdentityKind::Account,
        session_policy: None,
    }
}

fn user(name: &str) -> Identity {
    Identity {
        kind: IdentityKind::User { name: name.into() },
        session_policy: None,
    }
}

fn tester() -> Identity {
    Identity {
        kind: IdentityKind::Role {
            name: "tester".into(),
            session_name: "test".into(),
        },
        session_policy: None,
    }
}

fn granter() -> Identity {
    Identity {
        kind: IdentityKind::Role {
            name: DEMO_ROLE_NAME.into(),
            session_name: "test".into(),
        },
        session_policy: None,
    }
}

fn params(pairs: &[(&str, &str)]) -> Params {
    Params::new(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
}

fn run(state: &mut State, who: &Identity, api: Api, pairs: &[(&str, &str)]) -> Result<Value, ApiError> {
    run_roa(state, who, api, RoaPath::default(), pairs, b"")
}

/// [`run`] as the account's root identity, which every permission check lets through.
fn as_root(state: &mut State, api: Api, pairs: &[(&str, &str)]) -> Result<Value, ApiError> {
    run(state, &root(), api, pairs)
}

fn run_roa(
    state: &mut State,
    who: &Identity,
    api: Api,
    path: RoaPath,
    pairs: &[(&str, &str)],
    body: &[u8],
) -> Result<Value, ApiError> {
    let params = params(pairs);
    execute(
        state,
        &Call {
            api,
            params: &params,
            path: &path,
            body,
            identity: who,
            now: now(),
        },
    )
    .map(|o| Value::Object(o.body))
}

#[track_caller]
fn assert_error(result: Result<Value, ApiError>, status: u16, code: &str) -> ApiError {
    match result {
        Err(e) => {
            assert_eq!((e.status, e.code.as_ref()), (status, code), "{e:?}");
            e
        }
        Ok(v) => panic!("expected {code}, got success {v}"),
    }
}

fn create_role(state: &mut State, name: &str) -> Result<Value, ApiError> {
    run(
        state,
        &root(),
        Api::CreateRole,
        &[("RoleName", name), ("AssumeRolePolicyDocument", TRUST_PAI)],
    )
}

#[test]
fn missing_required_parameters_name_the_parameter() {
    let mut s = demo();
    let e = assert_error(as_root(&mut s, Api::GetRole, &[]), 400, "MissingRoleName");
    assert_eq!(e.message, "RoleName is mandatory for this action.");
    type Case = (Api, &'static [(&'static str, &'static str)], &'static str);
    let cases: [Case; 7] = [
        (Api::GetRole, &[("RoleName", "")], "MissingRoleName"),
        (Api::CreateRole, &[("RoleName", "r")], "MissingAssumeRolePolicyDocument"),
        (Api::GetPolicy, &[("PolicyName", "p")], "MissingPolicyType"),
        (Api::CreatePolicy, &[("PolicyName", "p")], "MissingPolicyDocument"),
        (Api::AssumeRole, &[("RoleArn", DEMO_ROLE_ARN)], "MissingRoleSessionName"),
        (Api::AttachPolicy, &[("PolicyName", "p")], "MissingPolicyType"),
        (Api::DeletePolicyVersion, &[("PolicyName", "p")], "MissingVersionId"),
    ];
    for (api, pairs, code) in cases {
        assert_error(as_root(&mut s, api, pairs), 400, code);
    }
}

#[test]
fn create_role_answers_the_documented_shape_and_lower_cases_the_arn() {
    let mut s = demo();
    let body = create_role(&mut s, "AliyunPAIDLCDefaultRole").expect("created");
    let role = &body["Role"];
    assert_eq!(role["RoleName"], "AliyunPAIDLCDefaultRole");
    assert_eq!(role["Arn"], "acs:ram::1234567890123456:role/aliyunpaidlcdefaultrole");
    assert_eq!(role["AssumeRolePolicyDocument"], TRUST_PAI, "a JSON string, as sent");
    assert_eq!(role["MaxSessionDuration"], 3600);
    assert!(
        role["RoleId"]
            .as_str()
            .is_some_and(|id| id.bytes().all(|b| b.is_ascii_digit()))
    );
    assert_eq!(role["CreateDate"], "2023-11-14T22:13:20Z");
    let got = as_root(&mut s, Api::GetRole, &[("RoleName", "aliyunpaidlcdefaultrole")]).expect("get");
    assert_eq!(
        got["Role"]["RoleName"], "AliyunPAIDLCDefaultRole",
        "lookup is case-insensitive"
    );
    assert_eq!(
        got["Role"]["RolePrincipalName"],
        "AliyunPAIDLCDefaultRole@role.1234567890123456.onaliyunservice.com"
    );
    assert_eq!(got["Role"]["IsServiceLinkedRole"], false);
    assert_eq!(got["Role"]["RoleId"], role["RoleId"]);
}

#[test]
fn role_names_are_unique_case_insensitively() {
    let mut s = demo();
    create_role(&mut s, "MyRole").expect("first");
    let e = assert_error(create_role(&mut s, "MYROLE"), 409, "EntityAlreadyExists.Role");
    assert_eq!(e.message, "The role does already EXIST.");
}

#[test]
fn invalid_role_names_and_documents_are_refused() {
    let mut s = demo();
    assert_error(
        create_role(&mut s, "bad name"),
        400,
        "InvalidParameter.RoleName.InvalidChars",
    );
    assert_error(
        create_role(&mut s, &"r".repeat(65)),
        400,
        "InvalidParameter.RoleName.Length",
    );
    for bad in [
        "{",
        "[]",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
    ] {
        assert_error(
            as_root(
                &mut s,
                Api::CreateRole,
                &[("RoleName", "r"), ("AssumeRolePolicyDocument", bad)],
            ),
            400,
            "MalformedPolicyDocument",
        );
    }
    assert_error(
        as_root(
            &mut s,
            Api::CreateRole,
            &[
                ("RoleName", "r"),
                ("AssumeRolePolicyDocument", TRUST_PAI),
                ("MaxSessionDuration", "60"),
            ],
        ),
        400,
        "InvalidParameter.MaxSessionDuration",
    );
    assert!(!s.roles.contains_key("r"), "nothing was created");
}

#[test]
fn get_role_of_a_missing_role_is_entity_not_exist() {
    let mut s = demo();
    let e = assert_error(
        as_root(&mut s, Api::GetRole, &[("RoleName", "Nope")]),
        404,
        "EntityNotExist.Role",
    );
    assert_eq!(e.message, "The role does not exist.");
}

#[test]
fn update_role_replaces_the_trust_policy() {
    let mut s = demo();
    create_role(&mut s, "R").expect("created");
    let new_trust = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["pai.aliyuncs.com","ecs.aliyuncs.com"]}}],"Version":"1"}"#;
    let body = as_root(
        &mut s,
        Api::UpdateRole,
        &[
            ("RoleName", "R"),
            ("NewAssumeRolePolicyDocument", new_trust),
            ("NewDescription", "d"),
        ],
    )
    .expect("updated");
    assert_eq!(body["Role"]["AssumeRolePolicyDocument"], new_trust);
    assert_eq!(body["Role"]["Description"], "d");
    assert_error(
        as_root(
            &mut s,
            Api::UpdateRole,
            &[("RoleName", "R"), ("NewAssumeRolePolicyDocument", "{}")],
        ),
        400,
        "MalformedPolicyDocument",
    );
    assert_error(
        as_root(&mut s, Api::UpdateRole, &[("RoleName", "Nope")]),
        404,
        "EntityNotExist.Role",
    );
}

#[test]
fn create_policy_validates_and_refuses_duplicates() {
    let mut s = demo();
    let body = as_root(
        &mut s,
        Api::CreatePolicy,
        &[
            ("PolicyName", "PaiDlcOAuthPolicy"),
            ("PolicyDocument", DOC),
            ("Description", "d"),
        ],
    )
    .expect("created");
    assert_eq!(body["Policy"]["PolicyType"], "Custom");
    assert_eq!(body["Policy"]["DefaultVersion"], "v1");
    assert_error(
        as_root(
            &mut s,
            Api::CreatePolicy,
            &[("PolicyName", "paidlcoauthpolicy"), ("PolicyDocument", DOC)],
        ),
        409,
        "EntityAlreadyExists.Policy",
    );
    assert_error(
        as_root(
            &mut s,
            Api::CreatePolicy,
            &[("PolicyName", "bad_name"), ("PolicyDocument", DOC)],
        ),
        400,
        "InvalidParameter.PolicyName.InvalidChars",
    );
    let e = assert_error(
        as_root(
            &mut s,
            Api::CreatePolicy,
            &[("PolicyName", "P2"), ("PolicyDocument", "{\"Version\":")],
        ),
        400,
        "MalformedPolicyDocument",
    );
    assert!(e.message.contains("not valid JSON"), "{}", e.message);
    assert_error(
        as_root(
            &mut s,
            Api::CreatePolicy,
            &[
                ("PolicyName", "P2"),
                (
                    "PolicyDocument",
                    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*"}]}"#,
                ),
            ],
        ),
        400,
        "MalformedPolicyDocument",
    );
    let long = format!("{}{}", " ".repeat(6145), DOC);
    assert_error(
        as_root(
            &mut s,
            Api::CreatePolicy,
            &[("PolicyName", "P3"), ("PolicyDocument", &long)],
        ),
        400,
        "InvalidParameter.PolicyDocument.Length",
    );
}

#[test]
fn get_policy_serves_system_and_custom_policies() {
    let mut s = demo();
    let system = as_root(
        &mut s,
        Api::GetPolicy,
        &[("PolicyName", "AliyunOSSFullAccess"), ("PolicyType", "System")],
    )
    .expect("system");
    assert_eq!(system["Policy"]["PolicyType"], "System");
    let doc: Value = serde_json::from_str(
        system["DefaultPolicyVersion"]["PolicyDocument"]
            .as_str()
            .expect("string"),
    )
    .expect("JSON text");
    assert_eq!(doc["Statement"][0]["Action"], "oss:*");
    let custom = as_root(
        &mut s,
        Api::GetPolicy,
        &[("PolicyName", DEMO_OPERATOR_POLICY_NAME), ("PolicyType", "Custom")],
    )
    .expect("custom");
    assert_eq!(custom["Policy"]["AttachmentCount"], 1);
    assert_eq!(custom["DefaultPolicyVersion"]["IsDefaultVersion"], true);
    assert_error(
        as_root(
            &mut s,
            Api::GetPolicy,
            &[("PolicyName", "Nope"), ("PolicyType", "Custom")],
        ),
        404,
        "EntityNotExist.Policy",
    );
    assert_error(
        as_root(
            &mut s,
            Api::GetPolicy,
            &[("PolicyName", "AliyunOSSFullAccess"), ("PolicyType", "Custom")],
        ),
        404,
        "EntityNotExist.Policy",
    );
    let e = assert_error(
        as_root(&mut s, Api::GetPolicy, &[("PolicyName", "X"), ("PolicyType", "system")]),
        400,
        "InvalidParameter.PolicyType",
    );
    assert_eq!(e.message, "The parameter - \"PolicyType\" is incorrect.");
}

fn new_version(s: &mut State, extra: &[(&str, &str)]) -> Result<Value, ApiError> {
    let mut pairs = vec![("PolicyName", "P"), ("PolicyDocument", DOC)];
    pairs.extend_from_slice(extra);
    as_root(s, Api::CreatePolicyVersion, &pairs)
}

fn version_ids(s: &mut State) -> Vec<String> {
    let body = as_root(
        s,
        Api::ListPolicyVersions,
        &[("PolicyName", "P"), ("PolicyType", "Custom")],
    )
    .expect("list");
    body["PolicyVersions"]["PolicyVersion"]
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v["VersionId"].as_str().expect("id").to_owned())
        .collect()
}

#[test]
fn policy_versions_are_limited_to_five_unless_rotated() {
    let mut s = demo();
    as_root(
        &mut s,
        Api::CreatePolicy,
        &[("PolicyName", "P"), ("PolicyDocument", DOC)],
    )
    .expect("created");
    for _ in 0..4 {
        new_version(&mut s, &[]).expect("version");
    }
    assert_eq!(version_ids(&mut s), ["v1", "v2", "v3", "v4", "v5"]);
    let e = assert_error(new_version(&mut s, &[]), 409, "LimitExceeded.Policy.Version");
    assert_eq!(e.message, "The count of policy version beyond the current limits.");
    let body = new_version(
        &mut s,
        &[
            ("SetAsDefault", "True"),
            ("RotateStrategy", "DeleteOldestNonDefaultVersionWhenLimitExceeded"),
        ],
    )
    .expect("rotated");
    assert_eq!(body["PolicyVersion"]["VersionId"], "v6");
    assert_eq!(body["PolicyVersion"]["IsDefaultVersion"], true);
    // v1 was the default when the limit hit; the oldest non-default one (v2) went.
    assert_eq!(version_ids(&mut s), ["v1", "v3", "v4", "v5", "v6"]);
    new_version(
        &mut s,
        &[("RotateStrategy", "DeleteOldestNonDefaultVersionWhenLimitExceeded")],
    )
    .expect("again");
    assert_eq!(
        version_ids(&mut s),
        ["v3", "v4", "v5", "v6", "v7"],
        "v1 is no longer default, so it goes"
    );
    assert_error(
        new_version(&mut s, &[("RotateStrategy", "Sometimes")]),
        400,
        "InvalidParameter.RotateStrategy",
    );
    assert_error(
        new_version(&mut s, &[("SetAsDefault", "yes")]),
        400,
        "InvalidParameter.SetAsDefault",
    );
    let got = as_root(&mut s, Api::GetPolicy, &[("PolicyName", "P"), ("PolicyType", "Custom")]).expect("get");
    assert_eq!(got["Policy"]["DefaultVersion"], "v6");
}

#[test]
fn the_default_version_cannot_be_deleted() {
    let mut s = demo();
    as_root(
        &mut s,
        Api::CreatePolicy,
        &[("PolicyName", "P"), ("PolicyDocument", DOC)],
    )
    .expect("created");
    new_version(&mut s, &[]).expect("v2");
    let e = assert_error(
        as_root(
            &mut s,
            Api::DeletePolicyVersion,
            &[("PolicyName", "P"), ("VersionId", "v1")],
        ),
        409,
        "DeleteConflict.Policy.Version.Default",
    );
    assert_eq!(e.message, "The default policy version CAN NOT been deleted directly.");
    assert_error(
        as_root(
            &mut s,
            Api::DeletePolicyVersion,
            &[("PolicyName", "P"), ("VersionId", "v9")],
        ),
        404,
        "EntityNotExist.Policy.Version",
    );
    assert_error(
        as_root(
            &mut s,
            Api::DeletePolicyVersion,
            &[("PolicyName", "P"), ("VersionId", "2")],
        ),
        400,
        "InvalidParameter.VersionId.Format",
    );
    as_root(
        &mut s,
        Api::SetDefaultPolicyVersion,
        &[("PolicyName", "P"), ("VersionId", "v2")],
    )
    .expect("set");
    as_root(
        &mut s,
        Api::DeletePolicyVersion,
        &[("PolicyName", "P"), ("VersionId", "v1")],
    )
    .expect("deleted");
    assert_eq!(version_ids(&mut s), ["v2"]);
    let v = as_root(
        &mut s,
        Api::GetPolicyVersion,
        &[("PolicyName", "P"), ("PolicyType", "Custom"), ("VersionId", "v2")],
    )
    .expect("get version");
    assert_eq!(v["PolicyVersion"]["IsDefaultVersion"], true);
    assert_error(
        as_root(
            &mut s,
            Api::SetDefaultPolicyVersion,
            &[("PolicyName", "P"), ("VersionId", "v1")],
        ),
        404,
        "EntityNotExist.Policy.Version",
    );
    assert_error(
        as_root(
            &mut s,
            Api::CreatePolicyVersion,
            &[("PolicyName", "Nope"), ("PolicyDocument", DOC)],
        ),
        404,
        "EntityNotExist.Policy",
    );
}

fn attach_role(s: &mut State, who: &Identity, role: &str, policy: &str, kind: &str) -> Result<Value, ApiError> {
    run(
        s,
        who,
        Api::AttachPolicyToRole,
        &[("RoleName", role), ("PolicyName", policy), ("PolicyType", kind)],
    )
}

#[test]
fn attaching_to_roles_reports_conflicts_and_missing_entities() {
    let mut s = demo();
    create_role(&mut s, "R").expect("role");
    attach_role(&mut s, &root(), "r", "AliyunOSSFullAccess", "System").expect("attach");
    let e = assert_error(
        attach_role(&mut s, &root(), "R", "AliyunOSSFullAccess", "System"),
        409,
        "EntityAlreadyExists.Role.Policy",
    );
    assert_eq!(e.message, "The role has already been attached this policy.");
    assert_error(
        attach_role(&mut s, &root(), "Nope", "AliyunOSSFullAccess", "System"),
        404,
        "EntityNotExist.Role",
    );
    assert_error(
        attach_role(&mut s, &root(), "R", "NopePolicy", "Custom"),
        404,
        "EntityNotExist.Policy",
    );
    assert_error(
        attach_role(&mut s, &root(), "R", "aliyunossfullaccess", "System"),
        404,
        "EntityNotExist.Policy",
    );
    let list = as_root(&mut s, Api::ListPoliciesForRole, &[("RoleName", "R")]).expect("list");
    let policies = list["Policies"]["Policy"].as_array().expect("Policies.Policy[]");
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0]["PolicyName"], "AliyunOSSFullAccess");
    assert_eq!(policies[0]["PolicyType"], "System");
    assert_eq!(policies[0]["DefaultVersion"], "v1");
    assert!(policies[0]["Description"].as_str().is_some_and(|d| !d.is_empty()));
    as_root(
        &mut s,
        Api::DetachPolicyFromRole,
        &[
            ("RoleName", "R"),
            ("PolicyName", "AliyunOSSFullAccess"),
            ("PolicyType", "System"),
        ],
    )
    .expect("detach");
    assert_error(
        as_root(
            &mut s,
            Api::DetachPolicyFromRole,
            &[
                ("RoleName", "R"),
                ("PolicyName", "AliyunOSSFullAccess"),
                ("PolicyType", "System"),
            ],
        ),
        404,
        "EntityNotExist.Role.Policy",
    );
    assert_error(
        as_root(&mut s, Api::ListPoliciesForRole, &[("RoleName", "Nope")]),
        404,
        "EntityNotExist.Role",
    );
}

#[test]
fn a_role_holds_at_most_five_custom_policies() {
    let mut s = demo();
    create_role(&mut s, "R").expect("role");
    for i in 0..6 {
        let name = format!("P{i}");
        as_root(
            &mut s,
            Api::CreatePolicy,
            &[("PolicyName", &name), ("PolicyDocument", DOC)],
        )
        .expect("policy");
        let result = attach_role(&mut s, &root(), "R", &name, "Custom");
        if i < 5 {
            result.expect("within the limit");
        } else {
            assert_error(result, 409, "LimitExceeded.Role.Policy");
        }
    }
}

#[test]
fn attachments_to_users_mirror_roles() {
    let mut s = demo();
    let attach = |s: &mut State, u: &str| {
        as_root(
            s,
            Api::AttachPolicyToUser,
            &[
                ("UserName", u),
                ("PolicyName", "AliyunNASFullAccess"),
                ("PolicyType", "System"),
            ],
        )
    };
    attach(&mut s, "alice").expect("attach");
    assert_error(attach(&mut s, "ALICE"), 409, "EntityAlreadyExists.User.Policy");
    assert_error(attach(&mut s, "nobody"), 404, "EntityNotExist.User");
    let list = as_root(&mut s, Api::ListPoliciesForUser, &[("UserName", "alice")]).expect("list");
    assert_eq!(list["Policies"]["Policy"][0]["PolicyName"], "AliyunNASFullAccess");
    assert_error(
        as_root(
            &mut s,
            Api::DetachPolicyFromUser,
            &[
                ("UserName", "bob"),
                ("PolicyName", "AliyunNASFullAccess"),
                ("PolicyType", "System"),
            ],
        ),
        404,
        "EntityNotExist.User.Policy",
    );
}

#[test]
fn attachments_at_an_unknown_resource_group_are_refused() {
    let mut s = demo();
    create_role(&mut s, "R").expect("role");
    assert_error(
        as_root(
            &mut s,
            Api::AttachPolicyToRole,
            &[
                ("RoleName", "R"),
                ("PolicyName", "AliyunOSSFullAccess"),
                ("PolicyType", "System"),
                ("ResourceGroupId", "rg-unknown"),
            ],
        ),
        404,
        "EntityNotExists.ResourceGroup",
    );
}

#[test]
fn users_are_read_and_created() {
    let mut s = demo();
    let alice = as_root(&mut s, Api::GetUser, &[("UserName", "alice")]).expect("alice");
    assert_eq!(alice["User"]["UserName"], "alice");
    assert_eq!(alice["User"]["UserId"], s.user_id("alice"));
    assert_error(
        as_root(&mut s, Api::GetUser, &[("UserName", "carol")]),
        404,
        "EntityNotExist.User",
    );
    let created = as_root(
        &mut s,
        Api::CreateUser,
        &[("UserName", "carol"), ("DisplayName", "Carol")],
    )
    .expect("new");
    assert_eq!(created["User"]["DisplayName"], "Carol");
    assert_error(
        as_root(&mut s, Api::CreateUser, &[("UserName", "Carol")]),
        409,
        "EntityAlreadyExists.User",
    );
    assert_error(
        as_root(&mut s, Api::CreateUser, &[("UserName", "ca rol")]),
        400,
        "InvalidParameter.UserName.InvalidChars",
    );
}

#[test]
fn callers_without_permission_get_no_permission() {
    let mut s = demo();
    let noperm = user(DEMO_NOPERM_USER);
    let e = assert_error(
        run(&mut s, &noperm, Api::GetRole, &[("RoleName", DEMO_ROLE_NAME)]),
        403,
        "NoPermission",
    );
    assert_eq!(
        e.message,
        "You are not authorized to do this action. You should be authorized by RAM."
    );
    // Permission is checked before existence: no information leaks about missing roles.
    assert_error(
        run(&mut s, &noperm, Api::GetRole, &[("RoleName", "Nope")]),
        403,
        "NoPermission",
    );
    assert_error(create_role_as(&mut s, &noperm, "X"), 403, "NoPermission");
    assert!(!s.roles.contains_key("x"));
    // A role allowed only ram:GetRole may read roles but not create them.
    create_role(&mut s, "Limited").expect("role");
    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:GetRole","Resource":"*"}]}"#;
    as_root(
        &mut s,
        Api::CreatePolicy,
        &[("PolicyName", "ReadRoles"), ("PolicyDocument", doc)],
    )
    .expect("policy");
    attach_role(&mut s, &root(), "Limited", "ReadRoles", "Custom").expect("attach");
    let limited = Identity {
        kind: IdentityKind::Role {
            name: "Limited".into(),
            session_name: "s".into(),
        },
        session_policy: None,
    };
    run(&mut s, &limited, Api::GetRole, &[("RoleName", DEMO_ROLE_NAME)]).expect("allowed");
    assert_error(create_role_as(&mut s, &limited, "Y"), 403, "NoPermission");
    create_role_as(&mut s, &tester(), "ByTester").expect("AdministratorAccess allows CreateRole");
}

fn create_role_as(s: &mut State, who: &Identity, name: &str) -> Result<Value, ApiError> {
    run(
        s,
        who,
        Api::CreateRole,
        &[("RoleName", name), ("AssumeRolePolicyDocument", TRUST_PAI)],
    )
}

fn assume(s: &mut State, who: &Identity, extra: &[(&str, &str)]) -> Result<Value, ApiError> {
    let mut pairs = vec![("RoleArn", DEMO_ROLE_ARN), ("RoleSessionName", "dlcauth")];
    pairs.extend_from_slice(extra);
    run(s, who, Api::AssumeRole, &pairs)
}

#[test]
fn assume_role_issues_credentials_to_a_trusted_caller() {
    let mut s = demo();
    let body = assume(&mut s, &user(DEMO_OPERATOR_USER), &[("DurationSeconds", "1800")]).expect("assumed");
    let creds = &body["Credentials"];
    let key = creds["AccessKeyId"].as_str().expect("id");
    assert!(key.starts_with("STS."));
    assert!(
        creds["SecurityToken"]
            .as_str()
            .is_some_and(|t| t.starts_with("CAIS") && t.len() > 100)
    );
    assert_eq!(creds["Expiration"], "2023-11-14T22:43:20Z");
    assert_eq!(
        body["AssumedRoleUser"]["Arn"],
        "acs:ram::1234567890123456:role/dlcauth-granter/dlcauth"
    );
    assert!(
        body["AssumedRoleUser"]["AssumedRoleId"]
            .as_str()
            .is_some_and(|id| id.ends_with(":dlcauth"))
    );
    let session = s.sessions.get(key).expect("session stored");
    assert_eq!(session.role_name, DEMO_ROLE_NAME);
    assert_eq!(
        session.access_key_secret.expose(),
        creds["AccessKeySecret"].as_str().expect("secret")
    );
}

#[test]
fn assume_role_checks_permission_trust_and_parameters() {
    let mut s = demo();
    let operator = user(DEMO_OPERATOR_USER);
    let e = assert_error(assume(&mut s, &root(), &[]), 403, "NoPermission");
    assert_eq!(e.message, "Roles may not be assumed by root accounts.");
    assert_error(assume(&mut s, &user(DEMO_NOPERM_USER), &[]), 403, "NoPermission");
    // alice may call sts:AssumeRole but is not in the trust policy.
    as_root(
        &mut s,
        Api::AttachPolicyToUser,
        &[
            ("UserName", "alice"),
            ("PolicyName", "AliyunSTSAssumeRoleAccess"),
            ("PolicyType", "System"),
        ],
    )
    .expect("attach");
    assert_error(assume(&mut s, &user("alice"), &[]), 403, "NoPermission");
    // A role trusted only by a service cannot be assumed by a user.
    create_role(&mut s, "PaiOnly").expect("role");
    assert_error(
        run(
            &mut s,
            &operator,
            Api::AssumeRole,
            &[
                ("RoleArn", "acs:ram::1234567890123456:role/PaiOnly"),
                ("RoleSessionName", "s1"),
            ],
        ),
        403,
        "NoPermission",
    );
    assert_error(
        run(
            &mut s,
            &operator,
            Api::AssumeRole,
            &[
                ("RoleArn", "acs:ram::1234567890123456:role/ghost"),
                ("RoleSessionName", "s1"),
            ],
        ),
        404,
        "EntityNotExist.Role",
    );
    assert_error(
        run(
            &mut s,
            &operator,
            Api::AssumeRole,
            &[
                ("RoleArn", "acs:ram::9999999999999999:role/dlcauth-granter"),
                ("RoleSessionName", "s1"),
            ],
        ),
        404,
        "EntityNotExist.Role",
    );
    for bad in [
        "arn:aws:iam::1:role/x",
        "acs:ram::1234567890123456:user/x",
        "acs:ram::abc:role/x",
        "acs:ram::1:role/",
    ] {
        assert_error(
            run(
                &mut s,
                &operator,
                Api::AssumeRole,
                &[("RoleArn", bad), ("RoleSessionName", "s1")],
            ),
            400,
            "InvalidParameter.RoleArn",
        );
    }
    for bad in ["x", "has space", &"s".repeat(65)] {
        assert_error(
            run(
                &mut s,
                &operator,
                Api::AssumeRole,
                &[("RoleArn", DEMO_ROLE_ARN), ("RoleSessionName", bad)],
            ),
            400,
            "InvalidParameter.RoleSessionName",
        );
    }
    for bad in ["899", "3601", "abc"] {
        assert_error(
            assume(&mut s, &operator, &[("DurationSeconds", bad)]),
            400,
            "InvalidParameter.DurationSeconds",
        );
    }
    assert_error(
        assume(&mut s, &operator, &[("Policy", "{not json")]),
        400,
        "InvalidParameter.PolicyGrammar",
    );
    assert!(s.sessions.is_empty(), "no refused call issued credentials");
}

#[test]
fn assume_role_honours_external_id_conditions() {
    let mut s = demo();
    let trust = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
        "Principal":{"RAM":"acs:ram::1234567890123456:root"},
        "Condition":{"StringEquals":{"sts:ExternalId":"abc-123"}}}]}"#;
    as_root(
        &mut s,
        Api::CreateRole,
        &[("RoleName", "Ext"), ("AssumeRolePolicyDocument", trust)],
    )
    .expect("role");
    let arn = "acs:ram::1234567890123456:role/ext";
    let operator = user(DEMO_OPERATOR_USER);
    let call = |s: &mut State, extra: &[(&str, &str)]| {
        let mut pairs = vec![("RoleArn", arn), ("RoleSessionName", "s1")];
        pairs.extend_from_slice(extra);
        run(s, &operator, Api::AssumeRole, &pairs)
    };
    assert_error(call(&mut s, &[]), 403, "NoPermission");
    assert_error(call(&mut s, &[("ExternalId", "wrong")]), 403, "NoPermission");
    call(&mut s, &[("ExternalId", "abc-123")]).expect("matching ExternalId");
}

#[test]
fn external_ids_outside_the_documented_ascii_pattern_are_refused() {
    let mut s = demo();
    let operator = user(DEMO_OPERATOR_USER);
    for bad in [
        "x",
        "abc 123",
        "abc\u{e9}",
        "\u{4e2d}\u{6587}\u{4e2d}",
        &"a".repeat(1225),
    ] {
        assert_error(
            assume(&mut s, &operator, &[("ExternalId", bad)]),
            400,
            "InvalidParameter.ExternalId",
        );
    }
    assume(&mut s, &operator, &[("ExternalId", "Ab_+=,.@:/-9")]).expect("every allowed character");
}

#[test]
fn get_caller_identity_describes_each_kind_of_caller() {
    let mut s = demo();
    let role = run(&mut s, &granter(), Api::GetCallerIdentity, &[]).expect("role");
    assert_eq!(role["IdentityType"], "AssumedRoleUser");
    assert_eq!(
        role["Arn"],
        "acs:ram::1234567890123456:assumed-role/dlcauth-granter/test"
    );
    let u = run(&mut s, &user("alice"), Api::GetCallerIdentity, &[]).expect("user");
    assert_eq!(u["IdentityType"], "RAMUser");
    assert_eq!(u["UserId"], s.user_id("alice"));
    let r = as_root(&mut s, Api::GetCallerIdentity, &[]).expect("root");
    assert_eq!(r["IdentityType"], "Account");
    assert_eq!(r["AccountId"], "1234567890123456");
}

#[test]
fn resource_manager_attaches_at_resource_group_scope() {
    let mut s = demo();
    create_role(&mut s, "R").expect("role");
    let principal = "R@role.1234567890123456.onaliyunservice.com";
    let rm = |s: &mut State, group: &str, principal: &str, kind: &str| {
        run(
            s,
            &tester(),
            Api::AttachPolicy,
            &[
                ("PolicyName", "AliyunOSSFullAccess"),
                ("PolicyType", "System"),
                ("PrincipalType", kind),
                ("PrincipalName", principal),
                ("ResourceGroupId", group),
            ],
        )
    };
    rm(&mut s, DEMO_RESOURCE_GROUP_ID, principal, "ServiceRole").expect("rg scope");
    rm(&mut s, "1234567890123456", principal, "ServiceRole").expect("account scope");
    assert_error(
        rm(&mut s, DEMO_RESOURCE_GROUP_ID, principal, "ServiceRole"),
        409,
        "EntityAlreadyExists.Role.Policy",
    );
    assert_error(
        rm(&mut s, "rg-nope", principal, "ServiceRole"),
        404,
        "EntityNotExists.ResourceGroup",
    );
    assert_error(
        rm(
            &mut s,
            DEMO_RESOURCE_GROUP_ID,
            "Ghost@role.1234567890123456.onaliyunservice.com",
            "ServiceRole",
        ),
        404,
        "EntityNotExist.Role",
    );
    assert_error(
        rm(
            &mut s,
            DEMO_RESOURCE_GROUP_ID,
            "R@role.999.onaliyunservice.com",
            "ServiceRole",
        ),
        400,
        "InvalidParameter.PrincipalName",
    );
    rm(
        &mut s,
        DEMO_RESOURCE_GROUP_ID,
        "alice@1234567890123456.onaliyun.com",
        "IMSUser",
    )
    .expect("user");
    assert_error(
        rm(&mut s, DEMO_RESOURCE_GROUP_ID, "g", "IMSGroup"),
        404,
        "EntityNotExist.Group",
    );
    assert_error(
        rm(&mut s, DEMO_RESOURCE_GROUP_ID, principal, "Robot"),
        400,
        "InvalidParameter.PrincipalType",
    );
    // RAM lists only the account-scope attachment.
    let ram = as_root(&mut s, Api::ListPoliciesForRole, &[("RoleName", "R")]).expect("ram list");
    assert_eq!(ram["Policies"]["Policy"].as_array().map(Vec::len), Some(1));
    let list = run(
        &mut s,
        &tester(),
        Api::ListPolicyAttachments,
        &[("PrincipalName", principal), ("PageSize", "1"), ("PageNumber", "2")],
    )
    .expect("list");
    assert_eq!(list["TotalCount"], 2);
    assert_eq!(list["PageNumber"], 2);
    assert_eq!(list["PageSize"], 1);
    let page = list["PolicyAttachments"]["PolicyAttachment"].as_array().expect("array");
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["PrincipalType"], "ServiceRole");
    let scoped = run(
        &mut s,
        &tester(),
        Api::ListPolicyAttachments,
        &[("ResourceGroupId", DEMO_RESOURCE_GROUP_ID)],
    )
    .expect("by group");
    assert_eq!(scoped["TotalCount"], 2, "the role's and alice's");
    assert_error(
        run(&mut s, &tester(), Api::ListPolicyAttachments, &[("PageSize", "101")]),
        400,
        "InvalidParameter.PageSize",
    );
    assert_error(
        run(&mut s, &user(DEMO_NOPERM_USER), Api::ListPolicyAttachments, &[]),
        403,
        "NoPermission",
    );
}

fn ws_path() -> RoaPath {
    RoaPath {
        workspace_id: DEMO_WORKSPACE_ID.into(),
        ..RoaPath::default()
    }
}

fn create_member(s: &mut State, who: &Identity, body: &str) -> Result<Value, ApiError> {
    run_roa(s, who, Api::CreateMember, ws_path(), &[], body.as_bytes())
}

#[test]
fn workspace_members_are_created_listed_and_given_roles() {
    let mut s = demo();
    let alice = s.user_id("alice");
    let body = format!(r#"{{"Members":[{{"UserId":"{alice}","Roles":["PAI.AlgoDeveloper"]}}]}}"#);
    let created = create_member(&mut s, &tester(), &body).expect("created");
    let member_id = created["Members"][0]["MemberId"].as_str().expect("id").to_owned();
    assert_eq!(created["Members"][0]["UserId"], alice.as_str());
    assert_error(
        create_member(&mut s, &tester(), &body),
        409,
        "EntityAlreadyExists.Member",
    );
    let list = run_roa(
        &mut s,
        &tester(),
        Api::ListMembers,
        ws_path(),
        &[("UserId", &alice)],
        b"",
    )
    .expect("list");
    assert_eq!(list["TotalCount"], 1);
    assert_eq!(list["Members"][0]["MemberName"], "alice");
    assert_eq!(list["Members"][0]["AccountType"], "5");
    assert_eq!(list["Members"][0]["Roles"], json!(["PAI.AlgoDeveloper"]));
    let none = run_roa(
        &mut s,
        &tester(),
        Api::ListMembers,
        ws_path(),
        &[("MemberName", "bo")],
        b"",
    )
    .expect("list");
    assert_eq!(none["TotalCount"], 0);
    let path = RoaPath {
        member_id: Some(member_id.clone()),
        role_name: Some("PAI.WorkspaceAdmin".into()),
        ..ws_path()
    };
    run_roa(&mut s, &tester(), Api::AddMemberRole, path.clone(), &[], b"").expect("role added");
    run_roa(&mut s, &tester(), Api::AddMemberRole, path, &[], b"").expect("adding twice is fine");
    let got = run_roa(
        &mut s,
        &root(),
        Api::GetMember,
        ws_path(),
        &[("MemberId", &member_id)],
        b"",
    )
    .expect("get");
    assert_eq!(got["Roles"], json!(["PAI.AlgoDeveloper", "PAI.WorkspaceAdmin"]));
    let missing = RoaPath {
        member_id: Some("nope".into()),
        role_name: Some("PAI.WorkspaceAdmin".into()),
        ..ws_path()
    };
    assert_error(
        run_roa(&mut s, &tester(), Api::AddMemberRole, missing, &[], b""),
        404,
        "EntityNotExist.Member",
    );
    let bad_role = RoaPath {
        member_id: Some(member_id),
        role_name: Some("PAI.God".into()),
        ..ws_path()
    };
    assert_error(
        run_roa(&mut s, &tester(), Api::AddMemberRole, bad_role, &[], b""),
        400,
        "InvalidParameter",
    );
    assert_error(
        run_roa(&mut s, &root(), Api::GetMember, ws_path(), &[], b""),
        400,
        "MissingUserId",
    );
}

#[test]
fn create_member_refuses_bad_bodies_unknown_users_and_workspaces() {
    let mut s = demo();
    let alice = s.user_id("alice");
    assert_error(create_member(&mut s, &tester(), "{not json"), 400, "InvalidParameter");
    assert_error(create_member(&mut s, &tester(), "{}"), 400, "MissingMembers");
    assert_error(
        create_member(&mut s, &tester(), r#"{"Members":[{"Roles":["PAI.AlgoDeveloper"]}]}"#),
        400,
        "MissingUserId",
    );
    assert_error(
        create_member(&mut s, &tester(), &format!(r#"{{"Members":[{{"UserId":"{alice}"}}]}}"#)),
        400,
        "MissingRoles",
    );
    assert_error(
        create_member(
            &mut s,
            &tester(),
            r#"{"Members":[{"UserId":"1","Roles":["PAI.AlgoDeveloper"]}]}"#,
        ),
        404,
        "EntityNotExist.User",
    );
    assert_error(
        create_member(
            &mut s,
            &tester(),
            &format!(r#"{{"Members":[{{"UserId":"{alice}","Roles":["Boss"]}}]}}"#),
        ),
        400,
        "InvalidParameter",
    );
    let elsewhere = RoaPath {
        workspace_id: "999".into(),
        ..RoaPath::default()
    };
    let body = format!(r#"{{"Members":[{{"UserId":"{alice}","Roles":["PAI.AlgoDeveloper"]}}]}}"#);
    assert_error(
        run_roa(
            &mut s,
            &tester(),
            Api::CreateMember,
            elsewhere.clone(),
            &[],
            body.as_bytes(),
        ),
        404,
        "EntityNotExist.Workspace",
    );
    assert_error(
        run_roa(&mut s, &root(), Api::GetWorkspace, elsewhere, &[], b""),
        404,
        "EntityNotExist.Workspace",
    );
    assert_error(
        create_member(&mut s, &user(DEMO_NOPERM_USER), &body),
        403,
        "NoPermission",
    );
    assert!(
        s.workspaces[DEMO_WORKSPACE_ID].members.is_empty(),
        "nothing was added by refused calls"
    );
}

#[test]
fn resource_group_scoped_policies_apply_to_workspaces_in_that_group_only() {
    let mut s = demo();
    as_root(
        &mut s,
        Api::AttachPolicy,
        &[
            ("PolicyName", "AliyunPAIWorkspaceFullAccess"),
            ("PolicyType", "System"),
            ("PrincipalType", "IMSUser"),
            ("PrincipalName", "bob@1234567890123456.onaliyun.com"),
            ("ResourceGroupId", DEMO_RESOURCE_GROUP_ID),
        ],
    )
    .expect("rg attach");
    let bob = user("bob");
    let got = run_roa(&mut s, &bob, Api::GetWorkspace, ws_path(), &[], b"").expect("bob may read the workspace");
    assert_eq!(got["WorkspaceId"], DEMO_WORKSPACE_ID);
    assert_eq!(got["ResourceGroupId"], DEMO_RESOURCE_GROUP_ID);
    assert_error(run(&mut s, &bob, Api::OpenOssService, &[]), 403, "NoPermission");
}

#[test]
fn services_activate_once_then_answer_order_opend() {
    let mut s = demo();
    let first = run(&mut s, &tester(), Api::OpenOssService, &[]).expect("activated");
    assert!(first["OrderId"].as_str().is_some_and(|id| !id.is_empty()));
    let e = assert_error(run(&mut s, &tester(), Api::OpenOssService, &[]), 400, "ORDER.OPEND");
    assert!(!e.message.is_empty());
    run(&mut s, &tester(), Api::OpenNasService, &[]).expect("nas is separate");
    assert_error(
        run(&mut s, &user(DEMO_NOPERM_USER), Api::OpenNasService, &[]),
        403,
        "NoPermission",
    );
}

#[test]
fn reads_do_not_mutate_and_writes_do() {
    let mut s = demo();
    let p = params(&[("RoleName", DEMO_ROLE_NAME)]);
    let (path, who) = (RoaPath::default(), tester());
    let call = |api| Call {
        api,
        params: &p,
        path: &path,
        body: b"",
        identity: &who,
        now: now(),
    };
    assert!(!execute(&mut s, &call(Api::GetRole)).expect("read").mutated);
    assert!(!execute(&mut s, &call(Api::ListPoliciesForRole)).expect("read").mutated);
    let p = params(&[("RoleName", "New"), ("AssumeRolePolicyDocument", TRUST_PAI)]);
    let identity = root();
    let outcome = execute(
        &mut s,
        &Call {
            api: Api::CreateRole,
            params: &p,
            path: &RoaPath::default(),
            body: b"",
            identity: &identity,
            now: now(),
        },
    )
    .expect("write");
    assert!(outcome.mutated);
}

/// A role `name` holding exactly `document` (a custom policy of the same name), as an identity.
fn role_with_policy(s: &mut State, name: &str, document: &str) -> Identity {
    create_role(s, name).expect("role");
    as_root(
        s,
        Api::CreatePolicy,
        &[("PolicyName", name), ("PolicyDocument", document)],
    )
    .expect("policy");
    attach_role(s, &root(), name, name, "Custom").expect("attach");
    Identity {
        kind: IdentityKind::Role {
            name: name.into(),
            session_name: "s".into(),
        },
        session_policy: None,
    }
}

fn allow(actions: &[&str], resources: &[&str]) -> String {
    json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}]}).to_string()
}

#[test]
fn creating_is_authorised_on_the_collection_not_on_the_new_name() {
    let mut s = demo();
    let named = role_with_policy(
        &mut s,
        "NamedCreator",
        &allow(
            &["ram:CreateRole", "ram:CreatePolicy", "ram:CreateUser"],
            &[
                "acs:ram:*:1234567890123456:role/NewRole",
                "acs:ram:*:1234567890123456:policy/NewPolicy",
                "acs:ram:*:1234567890123456:user/newuser",
            ],
        ),
    );
    let create_all = |s: &mut State, who: &Identity| {
        [
            create_role_as(s, who, "NewRole"),
            run(
                s,
                who,
                Api::CreatePolicy,
                &[("PolicyName", "NewPolicy"), ("PolicyDocument", DOC)],
            ),
            run(s, who, Api::CreateUser, &[("UserName", "newuser")]),
        ]
    };
    for result in create_all(&mut s, &named) {
        assert_error(result, 403, "NoPermission");
    }
    let collection = role_with_policy(
        &mut s,
        "CollectionCreator",
        &allow(
            &["ram:CreateRole", "ram:CreatePolicy", "ram:CreateUser"],
            &[
                "acs:ram:*:1234567890123456:role/*",
                "acs:ram:*:1234567890123456:policy/*",
                "acs:ram:*:1234567890123456:user/*",
            ],
        ),
    );
    for result in create_all(&mut s, &collection) {
        result.expect("allowed on role/*, policy/*, user/*");
    }
}

#[test]
fn system_policies_are_authorised_under_the_system_account() {
    let mut s = demo();
    create_role(&mut s, "Target").expect("role");
    as_root(
        &mut s,
        Api::CreatePolicy,
        &[("PolicyName", "Mine"), ("PolicyDocument", DOC)],
    )
    .expect("policy");
    let account_only = role_with_policy(
        &mut s,
        "AccountPolicies",
        &allow(
            &["ram:AttachPolicyToRole", "ram:GetPolicy"],
            &["acs:ram:*:*:role/*", "acs:ram:*:1234567890123456:policy/*"],
        ),
    );
    attach_role(&mut s, &account_only, "Target", "Mine", "Custom").expect("custom policy of the account");
    assert_error(
        attach_role(&mut s, &account_only, "Target", "AliyunOSSFullAccess", "System"),
        403,
        "NoPermission",
    );
    assert_error(
        run(
            &mut s,
            &account_only,
            Api::GetPolicy,
            &[("PolicyName", "AliyunOSSFullAccess"), ("PolicyType", "System")],
        ),
        403,
        "NoPermission",
    );
    let system = role_with_policy(
        &mut s,
        "SystemPolicies",
        &allow(
            &["ram:AttachPolicyToRole", "ram:GetPolicy"],
            &["acs:ram:*:*:role/*", "acs:ram:*:system:policy/AliyunOSSFullAccess"],
        ),
    );
    attach_role(&mut s, &system, "Target", "AliyunOSSFullAccess", "System").expect("system policy ARN");
    run(
        &mut s,
        &system,
        Api::GetPolicy,
        &[("PolicyName", "AliyunOSSFullAccess"), ("PolicyType", "System")],
    )
    .expect("system policy ARN");
}

#[test]
fn assume_role_is_authorised_on_the_role_in_the_account_its_arn_names() {
    let mut s = demo();
    let trust = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
        "Principal":{"RAM":"acs:ram::1234567890123456:root"}}]}"#;
    as_root(
        &mut s,
        Api::CreateRole,
        &[("RoleName", "Open"), ("AssumeRolePolicyDocument", trust)],
    )
    .expect("role");
    as_root(
        &mut s,
        Api::CreatePolicy,
        &[
            ("PolicyName", "OtherAccountRoles"),
            (
                "PolicyDocument",
                &allow(&["sts:AssumeRole"], &["acs:ram:*:9999999999999999:role/*"]),
            ),
        ],
    )
    .expect("policy");
    as_root(
        &mut s,
        Api::AttachPolicyToUser,
        &[
            ("UserName", "bob"),
            ("PolicyName", "OtherAccountRoles"),
            ("PolicyType", "Custom"),
        ],
    )
    .expect("attach");
    let assume_as_bob = |s: &mut State, arn: &str| {
        run(
            s,
            &user("bob"),
            Api::AssumeRole,
            &[("RoleArn", arn), ("RoleSessionName", "s1")],
        )
    };
    assert_error(
        assume_as_bob(&mut s, "acs:ram::1234567890123456:role/Open"),
        403,
        "NoPermission",
    );
    // Permitted on the other account's role, which this account does not hold.
    assert_error(
        assume_as_bob(&mut s, "acs:ram::9999999999999999:role/Open"),
        404,
        "EntityNotExist.Role",
    );
}

#[test]
fn resource_manager_attach_is_authorised_on_the_policy_and_the_principal_kind() {
    let mut s = demo();
    create_role(&mut s, "R").expect("role");
    let roles_only = role_with_policy(
        &mut s,
        "RgAttacher",
        &allow(
            &["ram:AttachPolicy", "ram:ListPolicyAttachments"],
            &[
                "acs:ram:*:system:policy/*",
                "acs:ram:*:1234567890123456:role/*",
                "acs:ram:*:1234567890123456:*",
            ],
        ),
    );
    let rm = |s: &mut State, kind: &str, principal: &str| {
        run(
            s,
            &roles_only,
            Api::AttachPolicy,
            &[
                ("PolicyName", "AliyunOSSFullAccess"),
                ("PolicyType", "System"),
                ("PrincipalType", kind),
                ("PrincipalName", principal),
                ("ResourceGroupId", DEMO_RESOURCE_GROUP_ID),
            ],
        )
    };
    rm(&mut s, "ServiceRole", "R@role.1234567890123456.onaliyunservice.com").expect("role/* and the system policy");
    assert_error(
        rm(&mut s, "IMSUser", "alice@1234567890123456.onaliyun.com"),
        403,
        "NoPermission",
    );
    assert_error(rm(&mut s, "IMSGroup", "g"), 403, "NoPermission");
    run(&mut s, &roles_only, Api::ListPolicyAttachments, &[]).expect("acs:ram:*:<account>:*");
}

#[test]
fn an_account_holds_at_most_a_thousand_users() {
    let mut s = demo();
    let mut i = 0;
    while s.users.len() < 1000 {
        as_root(&mut s, Api::CreateUser, &[("UserName", &format!("u{i}"))]).expect("within the quota");
        i += 1;
    }
    let e = assert_error(
        as_root(&mut s, Api::CreateUser, &[("UserName", "one-too-many")]),
        409,
        "LimitExceeded.User",
    );
    assert_eq!(e.message, "The count of users beyond the current limits.");
}

#[test]
fn a_role_trusting_only_another_account_cannot_be_assumed_from_this_one() {
    let mut s = demo();
    let operator = user(DEMO_OPERATOR_USER);
    for (name, principal) in [
        ("ForeignRoot", r#""acs:ram::9999999999999999:root""#),
        ("ForeignId", r#""9999999999999999""#),
        ("ForeignUser", r#""acs:ram::9999999999999999:user/dlcauth-operator""#),
    ] {
        let trust = format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":[{principal}]}}}}]}}"#
        );
        as_root(
            &mut s,
            Api::CreateRole,
            &[("RoleName", name), ("AssumeRolePolicyDocument", &trust)],
        )
        .expect("role");
        let arn = format!("acs:ram::1234567890123456:role/{name}");
        assert_error(
            run(
                &mut s,
                &operator,
                Api::AssumeRole,
                &[("RoleArn", &arn), ("RoleSessionName", "s1")],
            ),
            403,
            "NoPermission",
        );
    }
    assert!(s.sessions.is_empty());
}
