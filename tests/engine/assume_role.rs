//! AssumeRole of the privileged role: the session name carries the request id, and the
//! ExternalId reaches STS (a trust policy conditioned on it refuses the grant without it).

use dlcauth::report::Status;
use dlcauth::{Engine, GrantRequest, Trigger};

use crate::common::*;

const EXTERNAL_ID: &str = "onboarding-7f3c";

fn engine_with_external_id(url: &str, external_id: Option<&str>) -> Engine {
    let mut config = engine_config();
    config.external_id = external_id.map(str::to_owned);
    Engine::new(
        client_with(
            url,
            acs_emulator::DEMO_ACCESS_KEY_ID,
            acs_emulator::DEMO_ACCESS_KEY_SECRET,
            5,
        ),
        config,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_name_carries_the_request_id() {
    let emulator = start(seed()).await;
    let recorder = Recorder::start(emulator.base_url()).await;
    let request_id = "4d6f1c2a-9e1b-4c2d-8e5f-90123456789a";
    let report = engine_with_external_id(&recorder.url, None)
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, request_id)
        .await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    assert_one_session_carrying(&recorder.values_of("RoleSessionName"), &report.request_id);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_external_id_reaches_assume_role() {
    let emulator = start(seed_with_external_id(EXTERNAL_ID)).await;
    let url = emulator.base_url();

    let without = engine_with_external_id(&url, None)
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "no-external-id")
        .await;
    assert_eq!(without.status, Status::Failed, "{}", without.to_text());
    let step = without.first_failure().expect("a failed step");
    assert_eq!(step.action, "AssumeRole");
    assert_eq!(step.error.as_ref().map(|e| e.code.as_str()), Some("NoPermission"));

    let wrong = engine_with_external_id(&url, Some("someone-else"))
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "wrong-external-id")
        .await;
    assert_eq!(wrong.status, Status::Failed, "{}", wrong.to_text());
    assert_eq!(wrong.first_failure().map(|s| s.action.as_str()), Some("AssumeRole"));

    let with = engine_with_external_id(&url, Some(EXTERNAL_ID))
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "external-id")
        .await;
    assert_eq!(with.status, Status::Granted, "{}", with.to_text());
    let assumes: Vec<Option<String>> = emulator
        .calls()
        .into_iter()
        .filter(|c| c.action.as_deref() == Some("AssumeRole"))
        .map(|c| c.code)
        .collect();
    assert_eq!(
        assumes,
        vec![Some("NoPermission".to_owned()), Some("NoPermission".to_owned()), None]
    );
}
