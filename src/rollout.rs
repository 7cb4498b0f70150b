//! Many accounts: `dlcauth rollout --accounts FILE`.
//!
//! Bounded concurrency (a stream with `buffer_unordered`) and a rate limit on starting grants,
//! since each cold grant begins with one AssumeRole and STS allows 100 per second per account
//! (reference §7). No scheduler of our own: a tokio interval paces the starts.

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt as _;
use serde::Serialize;

use crate::engine::Engine;
use crate::report::{GrantReport, Status, Trigger};
use crate::request::GrantRequest;

/// An accounts file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AccountsError(String);

/// Reads an accounts file: a JSON array of account IDs (strings or numbers), or one ID per line
/// (blank lines and `#` comments ignored). Duplicates are dropped, order kept.
///
/// # Errors
/// Where the file is wrong (line or array index) and what an account ID looks like.
pub fn parse_accounts(text: &str) -> Result<Vec<String>, AccountsError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    let raw: Vec<(String, String)> = if trimmed.starts_with('[') {
        let values: Vec<serde_json::Value> = serde_json::from_str(trimmed)
            .map_err(|e| AccountsError(format!("not a JSON array of account IDs: {e}")))?;
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let id = match v {
                    serde_json::Value::String(s) => s.trim().to_owned(),
                    serde_json::Value::Number(n) => n.to_string(),
                    other => other.to_string(),
                };
                (format!("element {i}"), id)
            })
            .collect()
    } else {
        trimmed
            .lines()
            .enumerate()
            .map(|(i, line)| {
                let content = line.split('#').next().unwrap_or_default().trim();
                (format!("line {}", i + 1), content.to_owned())
            })
            .filter(|(_, id)| !id.is_empty())
            .collect()
    };
    let mut seen = BTreeSet::new();
    let mut accounts = Vec::new();
    for (place, id) in raw {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || id.len() > 32 {
            return Err(AccountsError(format!(
                "{place}: {id:?} is not an account ID (digits only, e.g. 1234567890123456)"
            )));
        }
        if seen.insert(id.clone()) {
            accounts.push(id);
        }
    }
    if accounts.is_empty() {
        return Err(AccountsError(
            "no account IDs found; put one ID per line, or a JSON array".into(),
        ));
    }
    Ok(accounts)
}

/// How a rollout runs.
#[derive(Debug, Clone)]
pub struct RolloutOptions {
    /// Grants in flight at once.
    pub concurrency: usize,
    /// Grants started per second at most (each cold grant is one AssumeRole).
    pub max_rate: f64,
    /// Run `check` instead of `grant`.
    pub check_only: bool,
}

impl Default for RolloutOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            max_rate: 20.0,
            check_only: false,
        }
    }
}

/// Counts per status, for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RolloutSummary {
    /// Accounts processed.
    pub total: usize,
    /// Granted.
    pub granted: usize,
    /// Already compliant.
    pub compliant: usize,
    /// Non-compliant (check only).
    pub noncompliant: usize,
    /// Planned (dry run).
    pub planned: usize,
    /// Partially granted.
    pub partial: usize,
    /// Failed.
    pub failed: usize,
}

impl RolloutSummary {
    /// Counts one report.
    pub fn add(&mut self, status: Status) {
        self.total += 1;
        match status {
            Status::Granted => self.granted += 1,
            Status::Compliant | Status::Ignored => self.compliant += 1,
            Status::Noncompliant => self.noncompliant += 1,
            Status::Planned => self.planned += 1,
            Status::Partial => self.partial += 1,
            Status::Failed => self.failed += 1,
        }
    }

    /// Whether every account ended in a success status.
    pub fn all_succeeded(&self) -> bool {
        self.partial == 0 && self.failed == 0 && self.noncompliant == 0
    }

    /// `12 accounts: 3 granted, 9 compliant, 0 partial, 0 failed`.
    pub fn line(&self) -> String {
        let mut parts = vec![
            format!("{} granted", self.granted),
            format!("{} compliant", self.compliant),
        ];
        if self.noncompliant > 0 {
            parts.push(format!("{} noncompliant", self.noncompliant));
        }
        if self.planned > 0 {
            parts.push(format!("{} planned", self.planned));
        }
        parts.push(format!("{} partial", self.partial));
        parts.push(format!("{} failed", self.failed));
        format!("{} account(s): {}", self.total, parts.join(", "))
    }
}

/// The spacing of grant starts for `max_rate` per second. A rate that is not a positive number
/// (NaN from a config file, 0, negative) means the slowest pace rather than a panic in
/// `Duration::from_secs_f64` or a zero period `tokio::time::interval` refuses.
fn start_period(max_rate: f64) -> Duration {
    const SLOWEST: Duration = Duration::from_secs(100);
    if max_rate.is_nan() || max_rate <= 0.0 {
        return SLOWEST;
    }
    Duration::try_from_secs_f64(1.0 / max_rate.min(10_000.0)).map_or(SLOWEST, |p| p.min(SLOWEST))
}

/// Runs `template` (its account id replaced) for every account, calling `on_report` as each one
/// finishes (in completion order). Returns the summary.
pub async fn run(
    engine: &Engine,
    accounts: &[String],
    template: &GrantRequest,
    options: &RolloutOptions,
    request_id_prefix: &str,
    mut on_report: impl FnMut(&GrantReport),
) -> RolloutSummary {
    let period = start_period(options.max_rate);
    let mut interval = tokio::time::interval(period);
    // After a pause (all slots busy), keep the spacing instead of bursting the missed ticks.
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let pacer = tokio::sync::Mutex::new(interval);
    let mut summary = RolloutSummary::default();
    let mut reports = futures_util::stream::iter(accounts.iter().enumerate())
        .map(|(i, account)| {
            let pacer = &pacer;
            let mut request = template.clone();
            request.account_id = account.clone();
            let request_id = format!("{request_id_prefix}-{i}");
            async move {
                // Wait for a start slot; the lock is held only while waiting for the tick.
                pacer.lock().await.tick().await;
                if options.check_only {
                    engine.check(&request, Trigger::Cli, &request_id).await
                } else {
                    engine.grant(&request, Trigger::Cli, &request_id).await
                }
            }
        })
        .buffer_unordered(options.concurrency.max(1));
    while let Some(report) = reports.next().await {
        summary.add(report.status);
        on_report(&report);
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_id_per_line_with_comments_and_blanks() -> Result<(), AccountsError> {
        let text = "# production\n1234567890123456\n\n  2234567890123456  # team b\n1234567890123456\n";
        assert_eq!(
            parse_accounts(text)?,
            vec!["1234567890123456".to_string(), "2234567890123456".to_string()]
        );
        Ok(())
    }

    #[test]
    fn json_array_of_strings_or_numbers() -> Result<(), AccountsError> {
        assert_eq!(
            parse_accounts(r#"["1234567890123456", 2234567890123456]"#)?,
            vec!["1234567890123456".to_string(), "2234567890123456".to_string()]
        );
        Ok(())
    }

    #[test]
    fn bad_entries_are_named_by_place() {
        let e = parse_accounts("1234567890123456\nabc\n").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("line 2: \"abc\" is not an account ID (digits only, e.g. 1234567890123456)")
        );
        let e = parse_accounts(r#"["1", {"id": 2}]"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("element 1:"), "{e}");
        let e = parse_accounts("[1,").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("JSON array"), "{e}");
        let e = parse_accounts("\n# nothing\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("no account IDs"), "{e}");
    }

    #[test]
    fn any_rate_gives_a_usable_start_period() {
        assert_eq!(start_period(20.0), Duration::from_millis(50));
        assert_eq!(
            start_period(1e9),
            Duration::from_micros(100),
            "capped at 10,000 starts/s"
        );
        for unusable in [f64::NAN, 0.0, -5.0, f64::NEG_INFINITY, 1e-300] {
            assert_eq!(start_period(unusable), Duration::from_secs(100), "{unusable}");
        }
        assert_eq!(start_period(f64::INFINITY), Duration::from_micros(100));
    }

    #[test]
    fn summary_counts_and_judges() {
        let mut s = RolloutSummary::default();
        for status in [Status::Granted, Status::Compliant, Status::Compliant] {
            s.add(status);
        }
        assert!(s.all_succeeded());
        assert_eq!(s.line(), "3 account(s): 1 granted, 2 compliant, 0 partial, 0 failed");
        s.add(Status::Failed);
        assert!(!s.all_succeeded());
        assert_eq!(s.failed, 1);
    }
}
