//! Interface strings in Japanese and English, from `locales/{ja,en}/main.ftl` (Fluent), embedded
//! at compile time. Japanese is the fallback for any missing key.

use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};
use mamori_core::{Lang, Text};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "ja",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

const JA: LanguageIdentifier = langid!("ja");
const EN: LanguageIdentifier = langid!("en");

/// A translator for one request, handed to every template as `t`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The interface string `key` in the request's language.
    pub fn get(&self, key: &str) -> String {
        let id = match self.lang {
            Lang::Ja => &JA,
            Lang::En => &EN,
        };
        LOCALES.try_lookup(id, key).unwrap_or_else(|| key.to_string())
    }

    /// A bilingual text from the library or a message, in the request's language.
    pub fn text<'a>(&self, text: &'a Text) -> &'a str {
        text.get(self.lang)
    }

    pub fn code(&self) -> &'static str {
        self.lang.as_str()
    }

    /// The language a switch link offers.
    pub fn other(&self) -> &'static str {
        match self.lang {
            Lang::Ja => "en",
            Lang::En => "ja",
        }
    }

    pub fn other_label(&self) -> &'static str {
        match self.lang {
            Lang::Ja => "English",
            Lang::En => "日本語",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_exists_in_both_languages() {
        let ja = include_str!("../locales/ja/main.ftl");
        let en = include_str!("../locales/en/main.ftl");
        let keys = |s: &str| -> std::collections::BTreeSet<String> {
            s.lines().filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string())).filter(|k| !k.starts_with('#')).collect()
        };
        assert_eq!(keys(ja), keys(en), "ja and en must define the same keys");
        for key in keys(ja) {
            assert!(LOCALES.try_lookup(&JA, &key).is_some(), "{key} resolves in ja");
            assert!(LOCALES.try_lookup(&EN, &key).is_some(), "{key} resolves in en");
        }
        assert_eq!(Tr::new(Lang::En).get("login"), "Sign in");
        assert_eq!(Tr::new(Lang::Ja).get("login"), "ログイン");
        assert_eq!(Tr::new(Lang::Ja).get("no-such-key"), "no-such-key", "a missing key shows itself");
    }
}
