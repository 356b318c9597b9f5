//! The request waterfall: one bar per request on a time axis, drawn when a
//! batch has finished, as an inline SVG built with DOM calls, with a text
//! alternative (its `<desc>`, also shown as its caption).

use std::fmt::Write as _;

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

use crate::batch::Report;
use crate::dom::{fixed, fmt1, svg_el, text_el};
use crate::page::Page;
use crate::posts::Ending;
use crate::settings::limit_phrase;

impl Page {
    pub(crate) fn clear_waterfall(&self) -> Result<(), JsValue> {
        self.waterfall.set_text_content(None);
        self.waterfall.append_child(
            text_el(
                &self.doc,
                "p",
                "The waterfall is drawn when the batch has finished.",
            )?
            .as_ref(),
        )?;
        let _ = self.waterfall.set_attribute("class", "waterfall pending");
        Ok(())
    }

    pub(crate) fn draw_waterfall(
        &self,
        rows: &[Row],
        duration: f64,
        limit: Option<usize>,
        report: &Report,
    ) -> Result<(), JsValue> {
        let doc = &self.doc;
        self.waterfall.set_text_content(None);
        let _ = self.waterfall.set_attribute("class", "waterfall");

        let layout = Layout::new(self.waterfall.client_width(), rows.len(), duration);
        let summary = waterfall_summary(rows, duration, limit, report);
        let svg = chart(doc, &layout, &summary)?;
        let axis = axis(doc, &layout)?;
        svg.append_child(&axis)?;
        let bars = svg_el(doc, "g", &[("class", "rows")])?;
        let every = if rows.len() <= 20 { 1 } else { 10 };
        for (i, row) in rows.iter().enumerate() {
            draw_row(doc, &layout, &bars, i, row, every)?;
        }
        svg.append_child(&bars)?;

        let scroller = doc.create_element("div")?;
        scroller.set_attribute("class", "waterfall-scroll")?;
        scroller.append_child(&svg)?;
        self.waterfall.append_child(&scroller)?;
        let caption = text_el(doc, "p", &summary)?;
        caption.set_attribute("class", "waterfall-caption")?;
        self.waterfall.append_child(&caption)?;
        Ok(())
    }
}

/// Where the waterfall's parts go, in SVG units (CSS pixels).
struct Layout {
    width: f64,
    height: f64,
    /// Left of the time axis (the row labels sit left of it).
    left: f64,
    /// Top of the first row (the tick labels sit above it).
    top: f64,
    /// From one row to the next, and a bar's height.
    pitch: f64,
    bar_h: f64,
    /// The time axis: `ticks` ticks `step` ms apart, over `span` ms drawn
    /// on `plot` units.
    step: f64,
    ticks: f64,
    span: f64,
    plot: f64,
}

impl Layout {
    /// The layout of `rows` requests over `duration` ms in a box
    /// `client_width` wide.
    fn new(client_width: i32, rows: usize, duration: f64) -> Layout {
        let n = rows.max(1) as f64;
        let width = f64::from(client_width).max(300.0).min(1400.0);
        let (left, right, top) = (40.0, 40.0, 26.0);
        let pitch: f64 = match rows {
            0..=12 => 20.0,
            13..=30 => 12.0,
            31..=60 => 9.0,
            _ => 7.0,
        };
        let bar_h = (pitch * 0.72).max(4.0);
        let height = top + n * pitch + 6.0;

        // Time axis: "nice" ticks, ending on one at or after the last end.
        let step = nice_step(duration.max(1.0) / 6.0);
        let ticks = (duration.max(1.0) / step).ceil().max(1.0);
        let span = ticks * step;
        let plot = width - left - right;
        Layout {
            width,
            height,
            left,
            top,
            pitch,
            bar_h,
            step,
            ticks,
            span,
            plot,
        }
    }

    /// Where time `t` (ms since the batch started) is.
    fn x(&self, t: f64) -> f64 {
        self.left + (t.max(0.0) / self.span) * self.plot
    }
}

/// The `<svg>`, with its title and its description (`summary`).
fn chart(doc: &Document, layout: &Layout, summary: &str) -> Result<Element, JsValue> {
    let (width, height) = (layout.width, layout.height);
    let svg = svg_el(
        doc,
        "svg",
        &[
            ("viewBox", &format!("0 0 {} {}", fmt1(width), fmt1(height))),
            ("width", &fmt1(width)),
            ("height", &fmt1(height)),
            ("role", "img"),
            ("aria-labelledby", "waterfall-title waterfall-desc"),
        ],
    )?;
    let title = svg_el(doc, "title", &[("id", "waterfall-title")])?;
    title.set_text_content(Some("Request waterfall"));
    svg.append_child(&title)?;
    let desc = svg_el(doc, "desc", &[("id", "waterfall-desc")])?;
    desc.set_text_content(Some(summary));
    svg.append_child(&desc)?;
    Ok(svg)
}

/// The time axis: a grid line and a label per tick.
fn axis(doc: &Document, layout: &Layout) -> Result<Element, JsValue> {
    let axis = svg_el(doc, "g", &[("class", "axis")])?;
    for i in 0..=(layout.ticks as u32) {
        let t = f64::from(i) * layout.step;
        let tx = fmt1(layout.x(t));
        axis.append_child(
            svg_el(
                doc,
                "line",
                &[
                    ("class", if i == 0 { "grid zero" } else { "grid" }),
                    ("x1", &tx),
                    ("x2", &tx),
                    ("y1", &fmt1(layout.top - 6.0)),
                    ("y2", &fmt1(layout.height - 4.0)),
                ],
            )?
            .as_ref(),
        )?;
        let anchor = if i == 0 { "start" } else { "middle" };
        let label = svg_el(
            doc,
            "text",
            &[("x", &tx), ("y", "13"), ("text-anchor", anchor)],
        )?;
        label.set_text_content(Some(&tick_label(t, layout.span)));
        axis.append_child(&label)?;
    }
    Ok(axis)
}

/// Row `i` into `bars`: its label (the first and every `every`th post),
/// its bar with a tooltip, the part of the bar before the last attempt,
/// and how many attempts it took.
fn draw_row(
    doc: &Document,
    layout: &Layout,
    bars: &Element,
    i: usize,
    row: &Row,
    every: u32,
) -> Result<(), JsValue> {
    let bar_h = layout.bar_h;
    let y = layout.top + i as f64 * layout.pitch + (layout.pitch - bar_h) / 2.0;
    let mid = fmt1(y + bar_h / 2.0);
    if row.id == 1 || row.id % every == 0 {
        let label = svg_el(
            doc,
            "text",
            &[
                ("class", "row-label"),
                ("x", &fmt1(layout.left - 6.0)),
                ("y", &mid),
                ("text-anchor", "end"),
                ("dominant-baseline", "central"),
            ],
        )?;
        label.set_text_content(Some(&row.id.to_string()));
        bars.append_child(&label)?;
    }
    let (x0, x1) = match row.start {
        Some(s) => (layout.x(s), layout.x(row.end)),
        None => (layout.x(row.end), layout.x(row.end)),
    };
    let w = (x1 - x0).max(2.0);
    let bar = bar(doc, row, x0, y, w, bar_h)?;
    bars.append_child(&bar)?;
    if let Some(until) = row.retried_until {
        let rw = (layout.x(until) - x0).max(0.0).min(w);
        let retry = svg_el(
            doc,
            "rect",
            &[
                ("class", "retry"),
                ("x", &fmt1(x0)),
                ("y", &fmt1(y)),
                ("width", &fmt1(rw)),
                ("height", &fmt1(bar_h)),
            ],
        )?;
        bars.append_child(&retry)?;
    }
    if row.attempts > 1 {
        let label = svg_el(
            doc,
            "text",
            &[
                ("class", "attempts"),
                ("x", &fmt1(x0 + w + 4.0)),
                ("y", &mid),
                ("dominant-baseline", "central"),
            ],
        )?;
        label.set_text_content(Some(&format!("×{}", row.attempts)));
        bars.append_child(&label)?;
    }
    Ok(())
}

/// A request's bar, coloured by how it ended, with its tooltip.
fn bar(doc: &Document, row: &Row, x0: f64, y: f64, w: f64, bar_h: f64) -> Result<Element, JsValue> {
    let class = match (row.ending, row.start) {
        (_, None) => "bar cancelled unsent".to_owned(),
        (e, _) => format!("bar {}", e.class()),
    };
    let bar = svg_el(
        doc,
        "rect",
        &[
            ("class", &class),
            ("x", &fmt1(x0)),
            ("y", &fmt1(y)),
            ("width", &fmt1(w)),
            ("height", &fmt1(bar_h)),
            ("rx", "1"),
        ],
    )?;
    let tip = svg_el(doc, "title", &[])?;
    tip.set_text_content(Some(&row.tooltip()));
    bar.append_child(&tip)?;
    Ok(bar)
}

/// One request of the waterfall; times are ms since the batch started.
pub(crate) struct Row {
    pub(crate) id: u32,
    pub(crate) start: Option<f64>,
    pub(crate) end: f64,
    pub(crate) ending: Ending,
    pub(crate) attempts: u32,
    pub(crate) retried_until: Option<f64>,
    pub(crate) detail: String,
}

impl Row {
    fn tooltip(&self) -> String {
        match self.start {
            Some(s) => format!(
                "post {}: {}–{} ms ({} ms), {}",
                self.id,
                fixed(s, 0),
                fixed(self.end, 0),
                fixed(self.end - s, 0),
                self.detail
            ),
            None => format!("post {}: {}", self.id, self.detail),
        }
    }
}

/// The waterfall's text alternative (also shown as its caption).
fn waterfall_summary(rows: &[Row], duration: f64, limit: Option<usize>, r: &Report) -> String {
    let mut s = format!(
        "{} request{} over {}, {}: {} succeeded",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        secs_label(duration),
        limit_phrase(limit),
        r.ok
    );
    if r.retried > 0 {
        let _ = write!(s, " ({} after a retry)", r.retried);
    }
    let _ = write!(s, ", {} failed", r.failed);
    let cancelled = r.cancelled + r.stopped_count;
    if cancelled > 0 {
        let _ = write!(s, ", {cancelled} cancelled");
    }
    if let Some(slowest) = rows
        .iter()
        .filter_map(|row| row.start.map(|st| (row.id, row.end - st)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
    {
        let _ = write!(
            s,
            ". Slowest: post {} at {} ms",
            slowest.0,
            fixed(slowest.1, 0)
        );
    }
    s.push('.');
    s
}

/// The smallest step of 1, 2, 2.5 or 5 × 10ⁿ ms (n ≥ 0) that is at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let mut magnitude = 1.0;
    while magnitude < 1e12 {
        for m in [1.0, 2.0, 2.5, 5.0] {
            if m * magnitude >= raw {
                return m * magnitude;
            }
        }
        magnitude *= 10.0;
    }
    magnitude
}

/// A tick label: ms below 2 s of span, else seconds.
fn tick_label(t: f64, span: f64) -> String {
    if t == 0.0 {
        "0".to_owned()
    } else if span < 2000.0 {
        format!("{} ms", fixed(t, 0))
    } else {
        let s = fixed(t / 1000.0, 2);
        format!("{} s", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

fn secs_label(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{} ms", fixed(ms, 0))
    } else {
        format!("{} s", fixed(ms / 1000.0, 2))
    }
}
