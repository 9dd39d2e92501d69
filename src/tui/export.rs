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

use super::app::App;
use super::views::View;
use crate::export::{ExportError, Format, Options, Run};
use crate::trace::EventIdx;

/// The steps the window outside Chains covers, up to the step shown.
pub const WINDOW_STEPS: usize = 200;

/// Exports what is on screen into `dir`; the status line's message.
pub fn export_screen(app: &App, dir: &Path) -> String {
    let end = app.step_number();
    if end == 0 {
        return "nothing to export yet: run the scenario first (space, → or End)".to_owned();
    }
    let run = Run { model: app.model(), trace: app.trace(), analysis: app.analysis(), end };
    let stem = format!("eventlab-{}-seed{}", slug(&app.model().scenario.name), app.model().seed);
    let mut options = Options::new(Format::Mermaid, app.origin.clone());
    if app.view == View::Chains
        && let Some(focus) = chain_focus(app)
    {
        let id = app.trace().event(focus).correlation.render(&app.trace().strings);
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
    let steps = &app.trace().steps[..end];
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
fn chain_focus(app: &App) -> Option<EventIdx> {
    let seen = app.events_seen();
    if let Some(picked) = app.focus_event.filter(|&e| (e as usize) < seen) {
        return Some(picked);
    }
    let newest = seen.checked_sub(1)?;
    let events = &app.trace().events[..=newest];
    let caused = events.iter().rposition(|e| e.cause().is_some());
    Some(caused.unwrap_or(newest) as EventIdx)
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
    use crate::scenario::load::{Limits, load_str};

    fn app(lesson: &str) -> App {
        let source = crate::lessons::find(lesson).expect("a lesson").source;
        let scenario = load_str(source, lesson, &Limits::default()).expect("valid");
        App::new(lesson.to_owned(), None, scenario, None, Limits::default()).expect("compiles")
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("eventlab-tui-export-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn chains_exports_the_chain_as_mermaid_and_elsewhere_the_window_as_svg() {
        let dir = scratch("views");
        let mut app = app("crash-duplicates");
        assert!(export_screen(&app, &dir).starts_with("nothing to export yet"));
        app.timeline.run_to_end().unwrap();
        app.timeline.seek(app.timeline.computed());
        app.view = View::Chains;
        app.focus_event = app
            .trace()
            .events
            .iter()
            .position(|e| e.id.render(&app.trace().strings) == "evt-000032")
            .map(|e| e as EventIdx);
        let said = export_screen(&app, &dir);
        let path = dir.join("eventlab-crash-mid-interval-duplicate-effects-seed0-chain-evt-000032.mmd");
        assert_eq!(said, format!("chain evt-000032 exported to {}", path.display()));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("sequenceDiagram") && text.contains("delivered twice: evt-000032"), "{text}");
        // Again: a new file beside it, not the same one replaced.
        assert!(export_screen(&app, &dir).ends_with("-chain-evt-000032-2.mmd"));
        app.view = View::Flow;
        let said = export_screen(&app, &dir);
        assert!(said.contains("(the last 200 steps) exported to") && said.ends_with("ms.svg"), "{said}");
        let svg = std::fs::read_dir(&dir).unwrap().flatten().find(|e| e.path().extension().is_some_and(|x| x == "svg"));
        let svg = std::fs::read_to_string(svg.expect("an SVG file").path()).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn slugs_are_file_names() {
        assert_eq!(slug("Crash mid-interval: duplicate effects"), "crash-mid-interval-duplicate-effects");
        assert_eq!(slug("id;#<&>\"%%"), "id");
        assert_eq!(slug("!!"), "run");
    }
}
