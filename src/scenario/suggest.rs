//! "Did you mean" suggestions for names a person mistyped.

/// `" (did you mean \"orders\"?)"` when one candidate is close to `word`, else `""`.
///
/// Close means an edit distance of at most a third of the word (at least 1, at most 3),
/// or one being the other with different case.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map_or_else(String::new, |best| format!(" (did you mean \"{best}\"?)"))
}

/// The closest candidate to `word`, if any is close enough to suggest.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|candidate| *candidate != word)
        .map(|candidate| {
            let distance =
                if candidate.eq_ignore_ascii_case(word) { 0 } else { strsim::damerau_levenshtein(word, candidate) };
            (distance, candidate)
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("order", ["orders", "payments"]), " (did you mean \"orders\"?)");
        assert_eq!(did_you_mean("biling", ["billing", "email"]), " (did you mean \"billing\"?)");
        assert_eq!(did_you_mean("xyz", ["orders"]), "");
        assert_eq!(closest("Orders", ["orders"]), Some("orders"));
    }
}
