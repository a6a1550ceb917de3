//! PNG figures for people to look at: feature heatmaps drawn like `librosa.display.specshow`
//! (lowest band at the bottom, time in seconds across, a colour scale with its range), line charts
//! (loss and accuracy curves) and confusion matrices. Everything is drawn with plotters' bitmap
//! backend and a sans-serif font compiled into the binary (a subset of DejaVu Sans, see
//! `trainer/assets/`), so that pictures draw the same on a machine with no fonts installed.

use anyhow::{Context, Result, anyhow, ensure};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

/// A linear `f32` axis whose tick marks are exactly the given values (plotters' own key-point
/// wrapper loses the `f32` label formatting that `configure_mesh` needs).
struct TickAxis {
    range: Range<f32>,
    ticks: Vec<f32>,
}

impl TickAxis {
    fn new(range: Range<f32>, ticks: Vec<f32>) -> Self {
        TickAxis { range, ticks }
    }
}

impl Ranged for TickAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f32;

    fn map(&self, value: &f32, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        let t = if span == 0.0 {
            0.0
        } else {
            (value - self.range.start) / span
        };
        limit.0 + ((limit.1 - limit.0) as f32 * t).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f32> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f32> {
        self.range.clone()
    }
}

/// A colour map given as evenly spaced anchor colours, interpolated linearly between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colormap {
    /// Sequential, perceptually uniform (matplotlib's default for `specshow` of one-signed data).
    Magma,
    /// Diverging blue–grey–red (matplotlib's `coolwarm`, `specshow`'s choice for data of both signs).
    Coolwarm,
    /// White to dark blue (for counts, e.g. confusion matrices).
    Blues,
}

/// 17 anchors of matplotlib's magma (BIDS colormap, CC0), every 16th of its 256 entries.
const MAGMA: [[u8; 3]; 17] = [
    [0, 0, 4],
    [10, 8, 34],
    [29, 17, 71],
    [54, 16, 107],
    [81, 18, 124],
    [106, 28, 129],
    [131, 38, 129],
    [156, 46, 127],
    [183, 55, 121],
    [207, 64, 112],
    [229, 80, 100],
    [244, 105, 92],
    [251, 135, 97],
    [254, 165, 113],
    [254, 194, 135],
    [253, 224, 161],
    [252, 253, 191],
];

/// 17 anchors of Moreland's cool-warm diverging map (matplotlib's `coolwarm`).
const COOLWARM: [[u8; 3]; 17] = [
    [59, 76, 192],
    [77, 104, 215],
    [98, 130, 234],
    [119, 154, 247],
    [141, 176, 254],
    [163, 194, 255],
    [184, 208, 249],
    [204, 217, 238],
    [221, 221, 221],
    [236, 211, 197],
    [245, 196, 173],
    [247, 177, 148],
    [244, 154, 123],
    [236, 127, 99],
    [222, 96, 77],
    [203, 62, 56],
    [180, 4, 38],
];

/// A white-to-blue ramp (close to matplotlib's `Blues`).
const BLUES: [[u8; 3]; 5] = [
    [247, 251, 255],
    [198, 219, 239],
    [107, 174, 214],
    [33, 113, 181],
    [8, 48, 107],
];

impl Colormap {
    fn anchors(self) -> &'static [[u8; 3]] {
        match self {
            Colormap::Magma => &MAGMA,
            Colormap::Coolwarm => &COOLWARM,
            Colormap::Blues => &BLUES,
        }
    }

    /// The colour at `t` in [0, 1] (clamped; NaN gives the lowest colour).
    pub fn at(self, t: f32) -> RGBColor {
        let a = self.anchors();
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        let pos = t * (a.len() - 1) as f32;
        let i = (pos.floor() as usize).min(a.len() - 2);
        let f = pos - i as f32;
        let mix =
            |c: usize| (a[i][c] as f32 + (a[i + 1][c] as f32 - a[i][c] as f32) * f).round() as u8;
        RGBColor(mix(0), mix(1), mix(2))
    }

    /// librosa's rule (`librosa.display.cmap`): data whose 2nd–98th percentiles keep one sign get
    /// the sequential map, data of both signs the diverging one.
    pub fn for_data(data: &[f32]) -> Colormap {
        let mut v: Vec<f32> = data.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return Colormap::Magma;
        }
        v.sort_by(f32::total_cmp);
        let pct = |p: f32| v[((p / 100.0) * (v.len() - 1) as f32).round() as usize];
        let (lo, hi) = (pct(2.0), pct(98.0));
        if lo >= 0.0 || hi <= 0.0 {
            Colormap::Magma
        } else {
            Colormap::Coolwarm
        }
    }
}

const FONT: &str = "sans-serif";
/// DejaVu Sans cut down to Latin, Greek, punctuation and a few symbols (`trainer/assets/`).
static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans-subset.ttf");

/// Registers the embedded font under [`FONT`] once; every drawing function calls this first.
fn register_font() -> Result<()> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    ensure!(ok, "the embedded font could not be read");
    Ok(())
}
const TITLE_SIZE: u32 = 26;
const DESC_SIZE: u32 = 19;
const TICK_SIZE: u32 = 16;

fn draw_err<E: std::error::Error + Send + Sync + 'static>(
    path: &Path,
) -> impl FnOnce(E) -> anyhow::Error + '_ {
    move |e| anyhow!("cannot draw {}: {e}", path.display())
}

/// The finite minimum and maximum of `data`, widened when they coincide.
fn value_range(data: &[f32]) -> (f32, f32) {
    let (mut lo, mut hi) = data
        .iter()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-6 * lo.abs().max(1.0) {
        let pad = 0.5 * lo.abs().max(1.0);
        (lo, hi) = (lo - pad, hi + pad);
    }
    (lo, hi)
}

/// About `n` "nice" tick values (1, 2, 2.5 or 5 times a power of ten) covering `lo..=hi`.
fn nice_ticks(lo: f32, hi: f32, n: usize) -> Vec<f32> {
    let span = (hi - lo).max(f32::MIN_POSITIVE) as f64;
    let raw = span / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo as f64 / step).ceil() as i64;
    let last = (hi as f64 / step).floor() as i64;
    (first..=last).map(|k| (k as f64 * step) as f32).collect()
}

/// A tick label with no more decimals than the step needs.
fn tick_label(v: f32, step: f32) -> String {
    let step = step.abs() as f64;
    let decimals = (0..6)
        .find(|&d| {
            let s = step * 10f64.powi(d);
            (s - s.round()).abs() < 1e-4 * s.max(1.0)
        })
        .unwrap_or(6) as usize;
    let v = if (v.abs() as f64) < step * 1e-3 {
        0.0
    } else {
        v
    };
    format!("{v:.decimals$}")
}

/// Band-index ticks for a heatmap whose caller gave none.
fn default_row_ticks(rows: usize) -> Vec<(usize, String)> {
    let step = match rows {
        0..=16 => 1,
        17..=40 => 5,
        41..=80 => 10,
        81..=200 => 16,
        _ => rows.div_ceil(10),
    };
    (0..rows)
        .step_by(step)
        .map(|i| (i, i.to_string()))
        .collect()
}

/// Draw a `rows × cols` matrix (row-major, row 0 = lowest band, drawn at the bottom) as a PNG like
/// `librosa.display.specshow`: time in seconds across (`seconds_per_frame` per column), the rows
/// up the side with `y_ticks` (band index and label, placed at the band's centre; none given means
/// band indices), and a colour scale labelled `colour_label` with the data's range. The colour map
/// follows librosa's rule (magma for one-signed data such as dB or chroma, coolwarm for MFCCs).
#[allow(clippy::too_many_arguments)]
pub fn heatmap_png(
    path: &Path,
    title: &str,
    rows: usize,
    cols: usize,
    data: &[f32],
    y_label: &str,
    y_ticks: &[(usize, String)],
    seconds_per_frame: f32,
    colour_label: &str,
) -> Result<()> {
    register_font()?;
    ensure!(
        data.len() == rows * cols && rows > 0 && cols > 0,
        "cannot draw {}: {} values do not make a {rows}×{cols} picture",
        path.display(),
        data.len()
    );
    ensure!(
        seconds_per_frame > 0.0 && seconds_per_frame.is_finite(),
        "cannot draw {}: seconds per frame must be above 0",
        path.display()
    );
    let cmap = Colormap::for_data(data);
    let (vmin, vmax) = value_range(data);
    let duration = cols as f32 * seconds_per_frame;

    let (width, height) = (1200u32, 500u32);
    let colourbar_width = 130u32;
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_err(path))?;
    let (main_area, bar_area) = root.split_horizontally(width - colourbar_width);

    let ticks: Vec<(usize, String)> = if y_ticks.is_empty() {
        default_row_ticks(rows)
    } else {
        y_ticks.iter().filter(|(i, _)| *i < rows).cloned().collect()
    };
    let key_points: Vec<f32> = ticks.iter().map(|(i, _)| *i as f32 + 0.5).collect();
    let y_formatter = |v: &f32| {
        ticks
            .iter()
            .find(|(i, _)| (*i as f32 + 0.5 - v).abs() < 1e-3)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    };
    let x_ticks = nice_ticks(0.0, duration, 8);
    let x_step = if x_ticks.len() > 1 {
        x_ticks[1] - x_ticks[0]
    } else {
        duration
    };

    let mut chart = ChartBuilder::on(&main_area)
        .caption(title, (FONT, TITLE_SIZE))
        .margin_top(10)
        .margin_left(10)
        .margin_right(20)
        .margin_bottom(10)
        .x_label_area_size(55)
        .y_label_area_size(95)
        .build_cartesian_2d(
            TickAxis::new(0f32..duration, x_ticks.clone()),
            TickAxis::new(0f32..rows as f32, key_points),
        )
        .map_err(draw_err(path))?;

    chart
        .draw_series((0..rows).flat_map(|r| {
            (0..cols).map(move |c| {
                let v = data[r * cols + c];
                let colour = cmap.at((v - vmin) / (vmax - vmin));
                let x0 = c as f32 * seconds_per_frame;
                Rectangle::new(
                    [(x0, r as f32), (x0 + seconds_per_frame, r as f32 + 1.0)],
                    colour.filled(),
                )
            })
        }))
        .map_err(draw_err(path))?;

    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("Time (s)")
        .y_desc(y_label)
        .axis_desc_style((FONT, DESC_SIZE))
        .label_style((FONT, TICK_SIZE))
        .x_label_formatter(&|v: &f32| tick_label(*v, x_step))
        .y_label_formatter(&y_formatter)
        .draw()
        .map_err(draw_err(path))?;

    // The colour bar, aligned with the plot's vertical extent.
    let (_, plot_y) = chart.plotting_area().get_pixel_range();
    let (bar_x0, _) = bar_area.get_base_pixel();
    let pad = 12;
    let bar_region = root.clone().shrink(
        ((bar_x0 - 5).max(0), (plot_y.start - pad).max(0)),
        (
            colourbar_width,
            (plot_y.end - plot_y.start + 2 * pad) as u32,
        ),
    );
    let bar_ticks = nice_ticks(vmin, vmax, 6);
    let bar_step = if bar_ticks.len() > 1 {
        bar_ticks[1] - bar_ticks[0]
    } else {
        vmax - vmin
    };
    let mut bar = ChartBuilder::on(&bar_region)
        .margin_top(pad as u32)
        .margin_bottom(pad as u32)
        .margin_left(5)
        .set_label_area_size(LabelAreaPosition::Right, 95)
        .build_cartesian_2d(0f32..1f32, TickAxis::new(vmin..vmax, bar_ticks))
        .map_err(draw_err(path))?;
    let steps = 256;
    bar.draw_series((0..steps).map(|k| {
        let t0 = k as f32 / steps as f32;
        let t1 = (k + 1) as f32 / steps as f32;
        Rectangle::new(
            [
                (0.0, vmin + t0 * (vmax - vmin)),
                (1.0, vmin + t1 * (vmax - vmin)),
            ],
            cmap.at((t0 + t1) / 2.0).filled(),
        )
    }))
    .map_err(draw_err(path))?;
    bar.draw_series(std::iter::once(Rectangle::new(
        [(0.0, vmin), (1.0, vmax)],
        BLACK.stroke_width(1),
    )))
    .map_err(draw_err(path))?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(colour_label)
        .axis_desc_style((FONT, DESC_SIZE))
        .label_style((FONT, TICK_SIZE))
        .y_label_formatter(&|v: &f32| tick_label(*v, bar_step))
        .draw()
        .map_err(draw_err(path))?;

    root.present()
        .with_context(|| format!("cannot write the picture {}", path.display()))?;
    Ok(())
}

/// Distinct line colours (matplotlib's tab10).
const SERIES_COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// A line chart of one or more named series of (x, y) points, with a legend (e.g. training and
/// validation loss per epoch).
pub fn line_chart_png(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, Vec<(f32, f32)>)],
) -> Result<()> {
    register_font()?;
    let points = || {
        series
            .iter()
            .flat_map(|(_, s)| s.iter())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    ensure!(
        points().next().is_some(),
        "cannot draw {}: there are no points to plot",
        path.display()
    );
    let xs: Vec<f32> = points().map(|p| p.0).collect();
    let ys: Vec<f32> = points().map(|p| p.1).collect();
    let (x0, x1) = value_range(&xs);
    let (y0, y1) = value_range(&ys);
    let ypad = 0.05 * (y1 - y0);
    let (y0, y1) = (y0 - ypad, y1 + ypad);

    let root = BitMapBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_err(path))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, TITLE_SIZE))
        .margin(15)
        .x_label_area_size(55)
        .y_label_area_size(85)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_err(path))?;
    let x_ticks = nice_ticks(x0, x1, 8);
    let x_step = if x_ticks.len() > 1 {
        x_ticks[1] - x_ticks[0]
    } else {
        x1 - x0
    };
    let y_ticks = nice_ticks(y0, y1, 8);
    let y_step = if y_ticks.len() > 1 {
        y_ticks[1] - y_ticks[0]
    } else {
        y1 - y0
    };
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style((FONT, DESC_SIZE))
        .label_style((FONT, TICK_SIZE))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(210, 210, 210))
        .x_label_formatter(&|v: &f32| tick_label(*v, x_step))
        .y_label_formatter(&|v: &f32| tick_label(*v, y_step))
        .draw()
        .map_err(draw_err(path))?;
    for (k, (name, pts)) in series.iter().enumerate() {
        let colour = SERIES_COLOURS[k % SERIES_COLOURS.len()];
        let pts: Vec<(f32, f32)> = pts
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), colour.stroke_width(2)))
            .map_err(draw_err(path))?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
            });
        if pts.len() <= 60 {
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                .map_err(draw_err(path))?;
        }
    }
    chart
        .configure_series_labels()
        .label_font((FONT, TICK_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(draw_err(path))?;
    root.present()
        .with_context(|| format!("cannot write the picture {}", path.display()))?;
    Ok(())
}

/// A confusion matrix: true label down the side (first label at the top), predicted label across,
/// each cell shaded by the fraction of its row and showing its count.
pub fn confusion_png(path: &Path, labels: &[String], counts: &[Vec<u32>]) -> Result<()> {
    register_font()?;
    let n = labels.len();
    ensure!(
        n > 0 && counts.len() == n && counts.iter().all(|r| r.len() == n),
        "cannot draw {}: a confusion matrix needs {n}×{n} counts",
        path.display()
    );
    let side = (n as u32 * 70).clamp(500, 1100);
    let root = BitMapBackend::new(path, (side + 180, side + 130)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_err(path))?;
    let total: u32 = counts.iter().flatten().sum();
    let correct: u32 = (0..n).map(|i| counts[i][i]).sum();
    let title = format!(
        "Confusion matrix ({correct} of {total} correct{})",
        if total > 0 {
            format!(", {:.1}%", 100.0 * correct as f32 / total as f32)
        } else {
            String::new()
        }
    );
    let centres: Vec<f32> = (0..n).map(|i| i as f32 + 0.5).collect();
    let label_at = |v: &f32, flip: bool| {
        let i = v.floor() as usize;
        let i = if flip { n.saturating_sub(1 + i) } else { i };
        labels.get(i).cloned().unwrap_or_default()
    };
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as u32;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, TITLE_SIZE - 4))
        .margin(15)
        .x_label_area_size(70)
        .y_label_area_size((longest * 10 + 45).clamp(60, 200))
        .build_cartesian_2d(
            TickAxis::new(0f32..n as f32, centres.clone()),
            TickAxis::new(0f32..n as f32, centres),
        )
        .map_err(draw_err(path))?;
    let tick = if n > 12 { TICK_SIZE - 4 } else { TICK_SIZE };
    for (i, row) in counts.iter().enumerate() {
        let row_total: u32 = row.iter().sum();
        let y = (n - 1 - i) as f32;
        for (j, &c) in row.iter().enumerate() {
            let frac = if row_total > 0 {
                c as f32 / row_total as f32
            } else {
                0.0
            };
            let x = j as f32;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, y), (x + 1.0, y + 1.0)],
                    Colormap::Blues.at(frac).filled(),
                )))
                .map_err(draw_err(path))?;
            let text_colour = if frac > 0.55 { WHITE } else { BLACK };
            let style = TextStyle::from((FONT, tick).into_font())
                .color(&text_colour)
                .pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ));
            chart
                .draw_series(std::iter::once(Text::new(
                    c.to_string(),
                    (x + 0.5, y + 0.5),
                    style,
                )))
                .map_err(draw_err(path))?;
        }
    }
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("Predicted")
        .y_desc("True")
        .axis_desc_style((FONT, DESC_SIZE))
        .label_style((FONT, tick))
        .x_label_formatter(&|v: &f32| label_at(v, false))
        .y_label_formatter(&|v: &f32| label_at(v, true))
        .draw()
        .map_err(draw_err(path))?;
    root.present()
        .with_context(|| format!("cannot write the picture {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_size(path: &Path) -> (u32, u32) {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(
            &bytes[..8],
            b"\x89PNG\r\n\x1a\n",
            "{} is not a PNG",
            path.display()
        );
        assert!(
            bytes.len() > 5_000,
            "{} is suspiciously small",
            path.display()
        );
        let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        (w, h)
    }

    #[test]
    fn colormaps_interpolate_their_anchors() {
        assert_eq!(Colormap::Magma.at(0.0), RGBColor(0, 0, 4));
        assert_eq!(Colormap::Magma.at(1.0), RGBColor(252, 253, 191));
        assert_eq!(Colormap::Magma.at(2.0), RGBColor(252, 253, 191));
        assert_eq!(Colormap::Magma.at(f32::NAN), RGBColor(0, 0, 4));
        assert_eq!(Colormap::Coolwarm.at(0.5), RGBColor(221, 221, 221));
        // Magma gets brighter all along (perceptual order).
        let lum = |c: RGBColor| 0.2126 * c.0 as f32 + 0.7152 * c.1 as f32 + 0.0722 * c.2 as f32;
        for k in 0..100 {
            assert!(
                lum(Colormap::Magma.at((k + 1) as f32 / 100.0))
                    >= lum(Colormap::Magma.at(k as f32 / 100.0)) - 0.5
            );
        }
        assert_eq!(Colormap::for_data(&[-80.0, -20.0, 0.0]), Colormap::Magma);
        assert_eq!(Colormap::for_data(&[0.0, 0.5, 1.0]), Colormap::Magma);
        assert_eq!(
            Colormap::for_data(&[-200.0, -5.0, 5.0, 40.0]),
            Colormap::Coolwarm
        );
    }

    #[test]
    fn ticks_are_nice() {
        assert_eq!(
            nice_ticks(0.0, 3.0, 8),
            vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
        );
        assert_eq!(
            nice_ticks(-80.0, 0.0, 6),
            vec![-80.0, -60.0, -40.0, -20.0, 0.0]
        );
        assert_eq!(tick_label(1.5, 0.5), "1.5");
        assert_eq!(tick_label(-40.0, 20.0), "-40");
        assert_eq!(tick_label(0.25, 0.25), "0.25");
        assert_eq!(tick_label(-0.0000001, 0.2), "0.0");
    }

    #[test]
    fn heatmap_line_chart_and_confusion_write_pngs() {
        let dir = tempfile::tempdir().unwrap();
        let (rows, cols) = (12, 130);
        let data: Vec<f32> = (0..rows * cols)
            .map(|k| {
                ((k / cols) as f32 * 0.7 + (k % cols) as f32 * 0.05)
                    .sin()
                    .abs()
            })
            .collect();
        let names = [
            "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
        ];
        let ticks: Vec<(usize, String)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (i, n.to_string()))
            .collect();
        let p = dir.path().join("chroma.png");
        heatmap_png(
            &p,
            "Chromagram",
            rows,
            cols,
            &data,
            "Pitch class",
            &ticks,
            512.0 / 22050.0,
            "",
        )
        .unwrap();
        assert_eq!(png_size(&p), (1200, 500));

        // Constant data and no ticks still draw.
        let p = dir.path().join("flat.png");
        heatmap_png(
            &p,
            "Flat",
            20,
            10,
            &[3.0; 200],
            "Coefficient",
            &[],
            0.1,
            "value",
        )
        .unwrap();
        png_size(&p);

        let p = dir.path().join("loss.png");
        let train: Vec<(f32, f32)> = (1..=30).map(|e| (e as f32, 2.3 / e as f32)).collect();
        let valid: Vec<(f32, f32)> = (1..=30)
            .map(|e| (e as f32, 2.5 / (e as f32).sqrt()))
            .collect();
        line_chart_png(
            &p,
            "Loss",
            "Epoch",
            "Cross-entropy",
            &[("train", train), ("valid", valid)],
        )
        .unwrap();
        assert_eq!(png_size(&p), (1000, 600));

        let p = dir.path().join("confusion.png");
        let labels: Vec<String> = ["blues", "classical", "country"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        confusion_png(
            &p,
            &labels,
            &[vec![10, 2, 1], vec![0, 12, 0], vec![3, 0, 7]],
        )
        .unwrap();
        png_size(&p);
    }

    #[test]
    fn wrong_sizes_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.png");
        assert!(heatmap_png(&p, "t", 2, 3, &[0.0; 5], "y", &[], 0.1, "").is_err());
        assert!(heatmap_png(&p, "t", 2, 3, &[0.0; 6], "y", &[], 0.0, "").is_err());
        assert!(line_chart_png(&p, "t", "x", "y", &[("a", vec![])]).is_err());
        assert!(confusion_png(&p, &["a".to_string()], &[vec![1, 2]]).is_err());
    }
}
