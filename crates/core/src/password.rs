//! Password and lockout rules of seed 003 chapter 4 (L784-856), as parameters with the seed's
//! values as defaults: general accounts 10+ characters, locked for 1 hour after 5 failures;
//! privileged accounts 12+ characters, locked for 6 hours after 3 failures; both must mix
//! upper- and lower-case letters, digits and symbols, and may not reuse a password of the past year.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::error::CoreError;
use crate::text::Text;

/// The rules for one class of account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRules {
    pub min_length: usize,
    pub lockout_threshold: u32,
    pub lockout_minutes: i64,
}

/// The whole policy. Stricter organisation values may replace the defaults, never weaker ones
/// below the built-in floor of 8 characters and 10 attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub general: AccountRules,
    pub privileged: AccountRules,
    pub require_mixed_classes: bool,
    pub reuse_window_days: i64,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            general: AccountRules { min_length: 10, lockout_threshold: 5, lockout_minutes: 60 },
            privileged: AccountRules { min_length: 12, lockout_threshold: 3, lockout_minutes: 6 * 60 },
            require_mixed_classes: true,
            reuse_window_days: 365,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum PasswordProblem {
    TooShort { min: usize },
    TooLong { max: usize },
    MissingClasses,
    ContainsEmail,
    ReusedWithinWindow { days: i64 },
}

impl PasswordProblem {
    pub fn text(&self) -> Text {
        match self {
            PasswordProblem::TooShort { min } => Text::new(
                format!("パスワードは {min} 文字以上にしてください。"),
                format!("The password must have at least {min} characters."),
            ),
            PasswordProblem::TooLong { max } => Text::new(
                format!("パスワードは {max} 文字以内にしてください。"),
                format!("The password must have at most {max} characters."),
            ),
            PasswordProblem::MissingClasses => Text::new(
                "英大文字・英小文字・数字・記号をそれぞれ含めてください。",
                "Use upper-case and lower-case letters, digits and symbols.",
            ),
            PasswordProblem::ContainsEmail => {
                Text::new("メールアドレスの一部をパスワードに含めないでください。", "Do not use your e-mail address in the password.")
            }
            PasswordProblem::ReusedWithinWindow { days } => Text::new(
                format!("過去 {days} 日以内に使ったパスワードは使えません。"),
                format!("A password used in the past {days} days cannot be used again."),
            ),
        }
    }
}

/// Upper bound that keeps hashing cost bounded for any input.
pub const MAX_PASSWORD_LEN: usize = 256;

impl PasswordPolicy {
    pub fn rules(&self, privileged: bool) -> &AccountRules {
        if privileged { &self.privileged } else { &self.general }
    }

    /// Checks a new password's form. Reuse is checked by the caller with [`PasswordPolicy::reuse_cutoff`],
    /// since only it can compare against stored hashes.
    pub fn check_new(&self, password: &str, privileged: bool, email_local_part: &str) -> Result<(), CoreError> {
        let mut problems = Vec::new();
        let length = password.chars().count();
        let min = self.rules(privileged).min_length;
        if length < min {
            problems.push(PasswordProblem::TooShort { min });
        }
        if length > MAX_PASSWORD_LEN {
            problems.push(PasswordProblem::TooLong { max: MAX_PASSWORD_LEN });
        }
        if self.require_mixed_classes {
            let upper = password.chars().any(|c| c.is_uppercase());
            let lower = password.chars().any(|c| c.is_lowercase());
            let digit = password.chars().any(|c| c.is_ascii_digit());
            let symbol = password.chars().any(|c| !c.is_alphanumeric());
            if !(upper && lower && digit && symbol) {
                problems.push(PasswordProblem::MissingClasses);
            }
        }
        if email_local_part.chars().count() >= 4 && password.to_lowercase().contains(&email_local_part.to_lowercase()) {
            problems.push(PasswordProblem::ContainsEmail);
        }
        if problems.is_empty() { Ok(()) } else { Err(CoreError::PasswordRejected(problems)) }
    }

    /// Passwords set after this moment may not be reused.
    pub fn reuse_cutoff(&self, now: OffsetDateTime) -> OffsetDateTime {
        now - Duration::days(self.reuse_window_days)
    }

    pub fn reuse_error(&self) -> CoreError {
        CoreError::PasswordRejected(vec![PasswordProblem::ReusedWithinWindow { days: self.reuse_window_days }])
    }
}

/// The sign-in state of an account, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockoutState {
    pub failed_attempts: u32,
    pub locked_until: Option<OffsetDateTime>,
}

/// What a failed attempt leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterFailure {
    pub state: LockoutState,
    /// True when this failure locked the account.
    pub locked_now: bool,
}

impl LockoutState {
    pub fn is_locked(&self, now: OffsetDateTime) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// The state after a wrong password. A lock that has expired starts a fresh count.
    pub fn after_failure(&self, rules: &AccountRules, now: OffsetDateTime) -> AfterFailure {
        let base = if self.locked_until.is_some_and(|u| u <= now) { 0 } else { self.failed_attempts };
        let failed_attempts = base.saturating_add(1);
        if failed_attempts >= rules.lockout_threshold {
            AfterFailure {
                state: LockoutState { failed_attempts, locked_until: Some(now + Duration::minutes(rules.lockout_minutes)) },
                locked_now: true,
            }
        } else {
            AfterFailure { state: LockoutState { failed_attempts, locked_until: None }, locked_now: false }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_defaults() {
        let p = PasswordPolicy::default();
        let cases = [
            ("Abcdef1!xy", false, true),
            ("Abcdef1!x", false, false),
            ("Abcdef1!xy", true, false),
            ("Abcdef1!xyzw", true, true),
            ("abcdefghij1!", false, false),
            ("ABCDEFGHIJ1!", false, false),
            ("Abcdefghijk!", false, false),
            ("Abcdefghij12", false, false),
        ];
        for (pw, privileged, ok) in cases {
            assert_eq!(p.check_new(pw, privileged, "taro").is_ok(), ok, "{pw} privileged={privileged}");
        }
        assert!(p.check_new("Taro.Yamada1!", false, "taro.yamada").is_err());
    }

    #[test]
    fn lockout_after_threshold_and_expiry() {
        let p = PasswordPolicy::default();
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let mut state = LockoutState { failed_attempts: 0, locked_until: None };
        for i in 1..=5 {
            let after = state.after_failure(&p.general, now);
            assert_eq!(after.locked_now, i == 5, "attempt {i}");
            state = after.state;
        }
        assert!(state.is_locked(now + Duration::minutes(59)));
        assert!(!state.is_locked(now + Duration::minutes(61)));
        let after = state.after_failure(&p.general, now + Duration::minutes(61));
        assert_eq!(after.state.failed_attempts, 1, "an expired lock starts a fresh count");

        let mut state = LockoutState { failed_attempts: 0, locked_until: None };
        for _ in 0..3 {
            state = state.after_failure(&p.privileged, now).state;
        }
        assert!(state.is_locked(now + Duration::hours(5)));
        assert!(!state.is_locked(now + Duration::hours(6) + Duration::seconds(1)));
    }
}
