//! A credentials cache with at most one refresh in flight.
//!
//! Callers queue on an async mutex; whoever holds it and finds the cached credentials stale
//! refreshes while the others wait, then they all see the new value. A failed refresh is handed to
//! the callers that were already waiting for it (so a failing STS is not called once per waiter),
//! and unexpired credentials keep being served for a short while after a failure.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::{SignedDuration, Timestamp};

use super::{Credentials, CredentialsError};
use crate::client::Clock;

/// Refresh this long before `Expiration` (DESIGN §5: cached until 5 minutes before expiry).
pub(crate) const REFRESH_BEFORE_EXPIRY: SignedDuration = SignedDuration::from_secs(5 * 60);
/// After a refresh attempt, unexpired credentials are served without a new attempt for this long,
/// so a failing (or clock-skewed) source is not hammered on every call.
const RETRY_REFRESH_AFTER: SignedDuration = SignedDuration::from_secs(10);

#[derive(Default)]
struct State {
    current: Option<Credentials>,
    last_attempt: Option<Timestamp>,
    last_error: Option<CredentialsError>,
}

pub(crate) struct CredentialsCache {
    state: tokio::sync::Mutex<State>,
    /// Refreshes finished so far; read before queueing to tell whether one finished meanwhile.
    refreshes: AtomicU64,
    clock: Arc<dyn Clock>,
}

impl CredentialsCache {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: tokio::sync::Mutex::new(State::default()),
            refreshes: AtomicU64::new(0),
            clock,
        }
    }

    pub(crate) async fn get_or_refresh<F, Fut>(&self, refresh: F) -> Result<Credentials, CredentialsError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Credentials, CredentialsError>>,
    {
        let seen = self.refreshes.load(Ordering::Acquire);
        let mut state = self.state.lock().await;
        let now = self.clock.now();
        if let Some(current) = state.current.as_ref().filter(|c| is_fresh(c, now)) {
            return Ok(current.clone());
        }
        let unexpired = state.current.as_ref().filter(|c| !is_expired(c, now)).cloned();
        let recently_tried = state
            .last_attempt
            .is_some_and(|t| now.duration_since(t) < RETRY_REFRESH_AFTER);
        if let Some(current) = unexpired.as_ref().filter(|_| recently_tried) {
            return Ok(current.clone());
        }
        if self.refreshes.load(Ordering::Acquire) != seen
            && let Some(error) = &state.last_error
        {
            return Err(error.clone());
        }

        let result = refresh().await;
        state.last_attempt = Some(self.clock.now());
        self.refreshes.fetch_add(1, Ordering::Release);
        match result {
            Ok(fresh) => {
                state.current = Some(fresh.clone());
                state.last_error = None;
                Ok(fresh)
            }
            Err(error) => {
                state.last_error = Some(error.clone());
                match unexpired {
                    Some(current) => {
                        tracing::warn!(error = %error, "credentials refresh failed; serving the unexpired cached credentials");
                        Ok(current)
                    }
                    None => Err(error),
                }
            }
        }
    }
}

fn is_fresh(credentials: &Credentials, now: Timestamp) -> bool {
    credentials
        .expiration
        .is_none_or(|exp| exp.duration_since(now) > REFRESH_BEFORE_EXPIRY)
}

fn is_expired(credentials: &Credentials, now: Timestamp) -> bool {
    credentials.expiration.is_some_and(|exp| exp <= now)
}

impl fmt::Debug for CredentialsCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("CredentialsCache");
        match self.state.try_lock() {
            Ok(state) => d
                .field("cached", &state.current.is_some())
                .field("expiration", &state.current.as_ref().and_then(|c| c.expiration)),
            Err(_) => d.field("cached", &"<refreshing>"),
        };
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::AtomicU32;

    use super::*;

    #[derive(Debug)]
    struct ManualClock(Mutex<Timestamp>);
    impl Clock for ManualClock {
        fn now(&self) -> Timestamp {
            *self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }
    impl ManualClock {
        fn advance(&self, by: SignedDuration) {
            let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
            *t = t.checked_add(by).unwrap_or(*t);
        }
    }

    fn creds(expiration: Timestamp, id: &str) -> Credentials {
        Credentials::sts(id, "s", "t", Some(expiration))
    }

    #[tokio::test]
    async fn refreshes_only_inside_the_five_minute_window() -> Result<(), CredentialsError> {
        let start = Timestamp::from_second(1_700_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
        let clock = Arc::new(ManualClock(Mutex::new(start)));
        let cache = CredentialsCache::new(clock.clone());
        let calls = AtomicU32::new(0);
        let expiry = start.checked_add(SignedDuration::from_hours(1)).unwrap_or(start);
        let fetch = || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Ok(creds(expiry, &format!("k{n}")))
        };
        assert_eq!(cache.get_or_refresh(fetch).await?.access_key_id, "k0");
        clock.advance(SignedDuration::from_mins(54));
        assert_eq!(
            cache.get_or_refresh(fetch).await?.access_key_id,
            "k0",
            "6 min left: cached"
        );
        clock.advance(SignedDuration::from_mins(2));
        assert_eq!(
            cache.get_or_refresh(fetch).await?.access_key_id,
            "k1",
            "4 min left: refreshed"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        Ok(())
    }

    #[tokio::test]
    async fn a_failed_refresh_serves_unexpired_credentials_and_fails_expired_ones() {
        let start = Timestamp::from_second(1_700_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
        let clock = Arc::new(ManualClock(Mutex::new(start)));
        let cache = CredentialsCache::new(clock.clone());
        let expiry = start.checked_add(SignedDuration::from_mins(10)).unwrap_or(start);
        let first = cache.get_or_refresh(|| async { Ok(creds(expiry, "old")) }).await;
        assert_eq!(first.map(|c| c.access_key_id).ok().as_deref(), Some("old"));
        clock.advance(SignedDuration::from_mins(7));
        let failing = || async { Err(CredentialsError::Invalid("sts down".into())) };
        let stale = cache.get_or_refresh(failing).await;
        assert_eq!(stale.map(|c| c.access_key_id).ok().as_deref(), Some("old"));
        clock.advance(SignedDuration::from_mins(4));
        let expired = cache.get_or_refresh(failing).await;
        assert!(matches!(expired, Err(CredentialsError::Invalid(_))), "{expired:?}");
    }

    #[tokio::test]
    async fn long_lived_credentials_are_fetched_once() -> Result<(), CredentialsError> {
        let cache = CredentialsCache::new(Arc::new(crate::client::SystemClock));
        let calls = AtomicU32::new(0);
        for _ in 0..3 {
            cache
                .get_or_refresh(|| async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok(Credentials::access_key("id", "secret"))
                })
                .await?;
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        Ok(())
    }
}
