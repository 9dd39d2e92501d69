//! `x`: exports what is on screen to a file in the current folder, and says where it went.
//!
//! - In Chains: the chain shown (the picked event's correlation id, else the newest event
//!   with a cause, as the view chooses) as a Mermaid sequence diagram,
//!   `eventlab-NAME-seedN-chain-ID.mmd`; a chain too long for one (more than
//!   [`crate::export::mermaid::MAX_ARROWS`] arrows) as an SVG space-time diagram instead.
//! - Elsewhere: the window of the run up to the step shown, its last [`WINDOW_STEPS`] steps,
//!   as an SVG space-time diagram, `eventlab-NAME-seedN-FROM-TO.svg`.
//!
//! The run is exported as of the step shown (its steps and analysis up to the cursor); a
//! file is never replaced (`-2`, `-3`, ... are added to the name).

use std::path::{Path, PathBuf};

use crate::export::{ExportError, Format, Options, Run};
use crate::trace::EventIdx;

/// The steps the window outside Chains covers, up to the step shown.
pub const WINDOW_STEPS: usize = 200;

/// What is on screen, as the app gives it (the app's own state stays in the app).
pub struct Screen<'a> {
    /// The run as of the step shown (`end`: the step number).
    pub run: Run<'a>,
    /// Whether the Chains view is shown.
    pub chains: bool,
    /// The event picked (in Traffic or Checks), whose chain Chains shows.
    pub focus_event: Option<EventIdx>,
}

/// Exports what is on screen into `dir`; the status line's message.
pub fn export_screen(screen: &Screen<'_>, dir: &Path) -> String {
    let run = screen.run;
    let end = run.end;
    if end == 0 {
        return "nothing to export yet: run the scenario first (space, → or End)".to_owned();
    }
    let stem = format!("eventlab-{}-seed{}", slug(&run.model.scenario.name), run.model.seed);
    let mut options = Options::new(Format::Mermaid);
    if screen.chains
        && let Some(focus) = chain_focus(screen)
    {
        let id = run.trace.event(focus).correlation.render(&run.trace.strings);
        options.correlation = Some(id.clone());
        let stem = format!("{stem}-chain-{}", slug(&id));
        return match write(&run, &options, dir, &stem) {
            Err(ExportError::Refused(why)) if why.starts_with("mermaid:") => {
                options.format = Format::Svg;
                said(write(&run, &options, dir, &stem), &format!("chain {id} (too long for Mermaid)"))
            }
            written => said(written, &format!("chain {id}")),
        };
    }
    let steps = &run.trace.steps[..end];
    let from = steps[end.saturating_sub(WINDOW_STEPS)].t_us;
    let to = steps[end - 1].t_us;
    options.format = Format::Svg;
    options.from = Some(from);
    options.to = Some(to);
    let window = format!("{}-{}", crate::export::millis(from), crate::export::millis(to));
    let stem = format!("{stem}-{}ms", window.replace('.', "_"));
    let what = format!(
        "{} to {} (the last {} steps)",
        crate::scenario::value::Duration(from),
        crate::scenario::value::Duration(to),
        end.min(WINDOW_STEPS)
    );
    said(write(&run, &options, dir, &stem), &what)
}

/// The event whose chain Chains shows: the one picked, else the newest event with a cause,
/// else the newest.
fn chain_focus(screen: &Screen<'_>) -> Option<EventIdx> {
    let seen = screen.run.analysis.events_seen();
    if let Some(picked) = screen.focus_event.filter(|&e| e.index() < seen) {
        return Some(picked);
    }
    let newest = seen.checked_sub(1)?;
    let events = &screen.run.trace.events[..=newest];
    let caused = events.iter().rposition(|e| e.cause.is_some());
    Some(EventIdx::new(caused.unwrap_or(newest)))
}

/// Writes the export to the first free `DIR/STEM[-N].EXT`; the path written.
fn write(run: &Run<'_>, options: &Options, dir: &Path, stem: &str) -> Result<PathBuf, ExportError> {
    let extension = options.format.extension();
    let path = (1..10_000)
        .map(|n| dir.join(if n == 1 { format!("{stem}.{extension}") } else { format!("{stem}-{n}.{extension}") }))
        .find(|p| !p.exists())
        .unwrap_or_else(|| dir.join(format!("{stem}.{extension}")));
    crate::export::write_file(run, options, &path).map(|()| path)
}

fn said(written: Result<PathBuf, ExportError>, what: &str) -> String {
    match written {
        Ok(path) => format!("{what} exported to {}", path.display()),
        Err(e) => format!("could not export {what}: {e}"),
    }
}

/// A name as a file name's part: lower-case letters and digits, other runs as one `-`.
fn slug(name: &str) -> String {
    let mapped: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let slug = mapped.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    if slug.is_empty() { "run".to_owned() } else { slug }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_names() {
        assert_eq!(slug("Crash mid-interval: duplicate effects"), "crash-mid-interval-duplicate-effects");
        assert_eq!(slug("id;#<&>\"%%"), "id");
        assert_eq!(slug("!!"), "run");
    }
}
