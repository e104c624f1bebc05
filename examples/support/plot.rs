//! Small plotting helpers shared by the examples: an SVG line/scatter chart and a
//! terminal plot. Hand-written so that the examples need no plotting dependency.

use std::fmt::Write as _;

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)] // each example uses the styles it needs
pub enum Style {
    /// Points joined by straight lines.
    Line,
    /// Unjoined dots.
    Dots,
}

/// One named series of (x, y) points.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub style: Style,
    pub color: &'static str,
}

/// Which corner of the plot area the legend goes in: the one the data leaves empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)] // each example uses the corners it needs
pub enum Legend {
    TopRight,
    BottomRight,
}

/// A chart with axes, ticks, a title and a legend.
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub legend: Legend,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 400.0;
const MARGIN_LEFT: f64 = 70.0;
const MARGIN_RIGHT: f64 = 20.0;
const MARGIN_TOP: f64 = 40.0;
const MARGIN_BOTTOM: f64 = 50.0;

impl Chart {
    /// The data range over all finite points, widened a little so nothing sits on the frame.
    fn bounds(&self) -> (f64, f64, f64, f64) {
        let pts = self.series.iter().flat_map(|s| s.points.iter()).filter(|(x, y)| x.is_finite() && y.is_finite());
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in pts {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x0 > x1 {
            return (0.0, 1.0, 0.0, 1.0);
        }
        if x1 - x0 < 1e-12 {
            x1 = x0 + 1.0;
        }
        if y1 - y0 < 1e-12 {
            y1 = y0 + 1.0;
        }
        let pad = 0.05 * (y1 - y0);
        (x0, x1, y0 - pad, y1 + pad)
    }

    /// The chart as an SVG document.
    #[allow(dead_code)] // an example may draw panels instead
    pub fn to_svg(&self) -> String {
        panels(std::slice::from_ref(self))
    }

    /// The chart's elements, drawn in a `WIDTH`×`HEIGHT` box at the origin.
    fn body(&self) -> String {
        let (x0, x1, y0, y1) = self.bounds();
        let pw = WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
        let ph = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
        let sx = |x: f64| MARGIN_LEFT + (x - x0) / (x1 - x0) * pw;
        let sy = |y: f64| MARGIN_TOP + (1.0 - (y - y0) / (y1 - y0)) * ph;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<text x="{}" y="24" text-anchor="middle" font-size="15">{}</text>"#,
            WIDTH / 2.0,
            escape(&self.title)
        );
        // Frame and ticks.
        let _ = writeln!(
            s,
            r##"<rect x="{MARGIN_LEFT}" y="{MARGIN_TOP}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>"##
        );
        for (xv, label) in ticks(x0, x1) {
            let px = sx(xv);
            let _ = writeln!(
                s,
                r##"<line x1="{px:.1}" y1="{:.1}" x2="{px:.1}" y2="{:.1}" stroke="#444"/>"##,
                MARGIN_TOP + ph,
                MARGIN_TOP + ph + 5.0
            );
            let _ = writeln!(
                s,
                r#"<text x="{px:.1}" y="{:.1}" text-anchor="middle">{label}</text>"#,
                MARGIN_TOP + ph + 18.0
            );
        }
        for (yv, label) in ticks(y0, y1) {
            let py = sy(yv);
            let _ = writeln!(
                s,
                r##"<line x1="{:.1}" y1="{py:.1}" x2="{MARGIN_LEFT}" y2="{py:.1}" stroke="#444"/>"##,
                MARGIN_LEFT - 5.0
            );
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"#,
                MARGIN_LEFT - 8.0,
                py + 4.0
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            MARGIN_LEFT + pw / 2.0,
            HEIGHT - 10.0,
            escape(&self.x_label)
        );
        let _ = writeln!(
            s,
            r#"<text x="16" y="{:.1}" text-anchor="middle" transform="rotate(-90 16 {:.1})">{}</text>"#,
            MARGIN_TOP + ph / 2.0,
            MARGIN_TOP + ph / 2.0,
            escape(&self.y_label)
        );
        // Series and legend.
        for (k, series) in self.series.iter().enumerate() {
            let finite = series.points.iter().filter(|(x, y)| x.is_finite() && y.is_finite());
            match series.style {
                Style::Line => {
                    let path: Vec<String> = finite.map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y))).collect();
                    let _ = writeln!(
                        s,
                        r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
                        series.color,
                        path.join(" ")
                    );
                }
                Style::Dots => {
                    for &(x, y) in finite {
                        let _ = writeln!(
                            s,
                            r#"<circle cx="{:.1}" cy="{:.1}" r="2" fill="{}" fill-opacity="0.6"/>"#,
                            sx(x),
                            sy(y),
                            series.color
                        );
                    }
                }
            }
            let first = match self.legend {
                Legend::TopRight => MARGIN_TOP + 14.0,
                Legend::BottomRight => MARGIN_TOP + ph - 6.0 - 16.0 * (self.series.len() - 1) as f64,
            };
            let ly = first + 16.0 * k as f64;
            let lx = MARGIN_LEFT + pw - 150.0;
            let _ =
                writeln!(s, r#"<rect x="{lx:.1}" y="{:.1}" width="12" height="4" fill="{}"/>"#, ly - 6.0, series.color);
            let _ = writeln!(s, r#"<text x="{:.1}" y="{ly:.1}">{}</text>"#, lx + 18.0, escape(&series.name));
        }
        s
    }
}

/// Charts side by side, left to right, as one SVG document.
#[allow(dead_code)] // an example may draw a single chart instead
pub fn panels(charts: &[Chart]) -> String {
    let width = WIDTH * charts.len().max(1) as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" viewBox="0 0 {width} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (k, chart) in charts.iter().enumerate() {
        let _ = writeln!(s, r#"<g transform="translate({})">"#, WIDTH * k as f64);
        s.push_str(&chart.body());
        s.push_str("</g>\n");
    }
    s.push_str("</svg>\n");
    s
}

/// Ticks at round values in [lo, hi], about five of them, 1, 2 or 5 times a power of
/// ten apart, each with a label showing as many decimals as the step needs.
fn ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let rough = (hi - lo) / 5.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|&s| s >= rough).unwrap_or(10.0 * power);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            (v, format!("{v:.decimals$}"))
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A terminal plot of the series on a `width`×`height` character grid: each series draws
/// with its own character, later series on top.
#[allow(dead_code)] // not every example prints to the terminal
pub fn terminal_plot(series: &[(&[(f64, f64)], char)], width: usize, height: usize) -> String {
    let all = series.iter().flat_map(|(p, _)| p.iter()).filter(|(x, y)| x.is_finite() && y.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 >= x1 || y0 >= y1 {
        return String::new();
    }
    let mut grid = vec![vec![' '; width]; height];
    for &(points, c) in series {
        for &(x, y) in points.iter().filter(|(x, y)| x.is_finite() && y.is_finite()) {
            let col = (((x - x0) / (x1 - x0)) * (width - 1) as f64).round() as usize;
            let row = (((y1 - y) / (y1 - y0)) * (height - 1) as f64).round() as usize;
            grid[row.min(height - 1)][col.min(width - 1)] = c;
        }
    }
    let mut out = String::new();
    for (r, row) in grid.iter().enumerate() {
        let label = if r == 0 {
            format!("{y1:>7.2} |")
        } else if r == height - 1 {
            format!("{y0:>7.2} |")
        } else {
            "        |".to_string()
        };
        out.push_str(&label);
        out.extend(row.iter());
        out.push('\n');
    }
    let _ = writeln!(out, "        +{}", "-".repeat(width));
    let _ = writeln!(out, "        {x0:<10.2}{:>w$.2}", x1, w = width.saturating_sub(10));
    out
}
