//! Sequential versus concurrent: [`compare`] runs the same batch twice and
//! shows both times, as numbers and as two bars on one time scale, with the
//! speed-up.

use std::fmt::Write as _;

use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::batch::{batch, Report};
use crate::dom::{fixed, fmt1, svg_el, text_el};
use crate::page::Page;
use crate::settings::{limit_phrase, Settings};
use crate::ticket::Ticket;

/// Runs the same batch twice, first sequentially (one request at a time),
/// then with the concurrency limit of `options` (see [`crate::run`]), and shows
/// both times side by side with the speed-up.
#[wasm_bindgen]
pub async fn compare(options: JsValue) -> Result<(), JsValue> {
    let settings = Settings::from_js(&options)?;
    let page = Page::find()?;
    let client = settings.client()?;
    let ticket = Ticket::begin()?;
    page.show_compare_pending(&settings)?;

    let phases = [("sequential", Some(1)), ("concurrent", settings.limit)];
    let mut reports: Vec<Report> = Vec::with_capacity(2);
    for (i, (name, limit)) in phases.into_iter().enumerate() {
        let label = format!("Compare, run {} of 2 ({name})", i + 1);
        let Some(report) = batch(&page, &client, &settings, limit, &ticket, Some(&label)).await?
        else {
            return Ok(());
        };
        if report.stopped {
            page.hide_compare();
            page.set_status(&report.status_line(), true);
            return Ok(());
        }
        reports.push(report);
    }
    if let [seq, conc] = reports.as_slice() {
        page.show_compare(&settings, seq, conc)?;
        let speedup = speedup(seq.secs, conc.secs);
        let mut line = format!(
            "Sequential {} s, concurrent {} s: {speedup} faster",
            fixed(seq.secs, 2),
            fixed(conc.secs, 2)
        );
        let failed = seq.failed + conc.failed;
        if failed > 0 {
            let _ = write!(line, " ({failed} failed)");
        }
        page.set_status(&line, failed > 0);
    }
    Ok(())
}

impl Page {
    fn show_compare_pending(&self, settings: &Settings) -> Result<(), JsValue> {
        self.compare.set_text_content(None);
        self.compare
            .append_child(text_el(&self.doc, "h3", "Sequential vs concurrent")?.as_ref())?;
        self.compare.append_child(
            text_el(
                &self.doc,
                "p",
                &format!(
                    "Running the same {} requests one at a time, then {}…",
                    settings.count,
                    limit_phrase(settings.limit)
                ),
            )?
            .as_ref(),
        )?;
        self.compare.remove_attribute("hidden")?;
        Ok(())
    }

    fn show_compare(
        &self,
        settings: &Settings,
        seq: &Report,
        conc: &Report,
    ) -> Result<(), JsValue> {
        let doc = &self.doc;
        self.compare.set_text_content(None);
        self.compare
            .append_child(text_el(doc, "h3", "Sequential vs concurrent")?.as_ref())?;
        let dl = doc.create_element("dl")?;
        dl.set_attribute("class", "compare-grid")?;
        let conc_label = match settings.limit {
            None => "Concurrent, all at once".to_owned(),
            Some(1) => "Concurrent, limit 1".to_owned(),
            Some(n) => format!("Concurrent, up to {n}"),
        };
        let entries = [
            (
                "compare-sequential",
                "Sequential, one at a time".to_owned(),
                format!("{} s", fixed(seq.secs, 2)),
            ),
            (
                "compare-concurrent",
                conc_label,
                format!("{} s", fixed(conc.secs, 2)),
            ),
            (
                "compare-speedup",
                "Speed-up".to_owned(),
                speedup(seq.secs, conc.secs),
            ),
        ];
        for (id, term, value) in entries {
            let group = doc.create_element("div")?;
            group.set_attribute("class", id.strip_prefix("compare-").unwrap_or(id))?;
            group.append_child(text_el(doc, "dt", &term)?.as_ref())?;
            let dd = text_el(doc, "dd", &value)?;
            dd.set_attribute("id", id)?;
            group.append_child(&dd)?;
            dl.append_child(&group)?;
        }
        self.compare.append_child(&dl)?;
        self.compare
            .append_child(self.compare_bars(seq.secs, conc.secs)?.as_ref())?;
        self.compare.remove_attribute("hidden")?;
        Ok(())
    }

    /// Two horizontal bars on one time scale.
    fn compare_bars(&self, seq: f64, conc: f64) -> Result<Element, JsValue> {
        let doc = &self.doc;
        let longest = seq.max(conc).max(1e-6);
        let svg = svg_el(
            doc,
            "svg",
            &[
                ("class", "compare-bars"),
                ("viewBox", "0 0 100 22"),
                ("preserveAspectRatio", "none"),
                ("aria-hidden", "true"),
                ("focusable", "false"),
            ],
        )?;
        for (i, (secs, class)) in [(seq, "seq"), (conc, "conc")].into_iter().enumerate() {
            let w = (secs / longest * 100.0).max(0.5);
            let y = if i == 0 { "1" } else { "12" };
            svg.append_child(
                svg_el(
                    doc,
                    "rect",
                    &[
                        ("class", class),
                        ("x", "0"),
                        ("y", y),
                        ("width", &fmt1(w)),
                        ("height", "9"),
                    ],
                )?
                .as_ref(),
            )?;
        }
        Ok(svg)
    }
}

/// "13.6×", or "—" if the faster time is zero.
fn speedup(slow: f64, fast: f64) -> String {
    if fast > 0.0 {
        format!("{}×", fixed(slow / fast, 1))
    } else {
        "—".to_owned()
    }
}
