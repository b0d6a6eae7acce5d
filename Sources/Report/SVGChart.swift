import Foundation

/// Inline SVG charts: no script, no font file, no external reference; they print as drawn.
public enum SVGChart {
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]

    /// Lines of (x, y) points, one per series, on shared axes, with a legend.
    public static func lines(title: String, series: [(name: String, points: [(Double, Double)])],
                             width: Int = 420, height: Int = 220) -> String {
        let all = series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite }
        guard !all.isEmpty else { return "" }
        let (left, right, top, bottom) = (52.0, 12.0, 24.0, 40.0)
        var (x0, x1) = (all.map(\.0).min()!, all.map(\.0).max()!)
        var (y0, y1) = (all.map(\.1).min()!, all.map(\.1).max()!)
        if x0 == x1 { let d = max(abs(x0) * 0.1, 1); x0 -= d; x1 += d }
        if y0 == y1 { let d = max(abs(y0) * 0.1, 1e-9); y0 -= d; y1 += d }
        let pad = (y1 - y0) * 0.05
        y0 -= pad; y1 += pad
        let w = Double(width) - left - right, h = Double(height) - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * w }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * h }
        var svg = ##"<svg role="img" width="\##(width)" height="\##(height)" viewBox="0 0 \##(width) \##(height)">"##
        svg += "<title>\(HTML.escape(title))</title>"
        svg += ##"<text x="\##(left)" y="15" class="ct">\##(HTML.escape(title))</text>"##
        svg += axes(left: left, top: top, w: w, h: h, x: (x0, x1), y: (y0, y1))
        for (i, s) in series.enumerated() {
            let colour = palette[i % palette.count]
            let points = s.points.filter { $0.0.isFinite && $0.1.isFinite }
            if points.count == 1 {
                svg += ##"<circle cx="\##(f(px(points[0].0)))" cy="\##(f(py(points[0].1)))" r="3" fill="\##(colour)"/>"##
            } else {
                let path = points.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
                svg += ##"<polyline fill="none" stroke="\##(colour)" stroke-width="1.5" points="\##(path)"/>"##
            }
            let ly = Double(height) - 8, lx = left + Double(i) * 120
            svg += ##"<rect x="\##(f(lx))" y="\##(f(ly - 8))" width="10" height="3" fill="\##(colour)"/>"##
            svg += ##"<text x="\##(f(lx + 14))" y="\##(f(ly - 4))" class="cl">\##(HTML.escape(s.name))</text>"##
        }
        return svg + "</svg>"
    }

    /// One point per label with its interval as a bar (a metric per checkpoint).
    public static func intervals(title: String, items: [(label: String, value: Double, lower: Double?, upper: Double?)],
                                 width: Int = 420, height: Int = 220) -> String {
        let finite = items.filter { $0.value.isFinite }
        guard !finite.isEmpty else { return "" }
        let (left, right, top, bottom) = (52.0, 12.0, 24.0, 40.0)
        let values = finite.flatMap { [$0.value, $0.lower ?? $0.value, $0.upper ?? $0.value] }
        var (y0, y1) = (values.min()!, values.max()!)
        if y0 == y1 { let d = max(abs(y0) * 0.1, 1e-9); y0 -= d; y1 += d }
        let pad = (y1 - y0) * 0.05
        y0 -= pad; y1 += pad
        let w = Double(width) - left - right, h = Double(height) - top - bottom
        let step = w / Double(finite.count)
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * h }
        var svg = ##"<svg role="img" width="\##(width)" height="\##(height)" viewBox="0 0 \##(width) \##(height)">"##
        svg += "<title>\(HTML.escape(title))</title>"
        svg += ##"<text x="\##(left)" y="15" class="ct">\##(HTML.escape(title))</text>"##
        svg += axes(left: left, top: top, w: w, h: h, x: nil, y: (y0, y1))
        for (i, item) in finite.enumerated() {
            let x = left + step * (Double(i) + 0.5)
            if let lo = item.lower, let hi = item.upper {
                svg += ##"<line x1="\##(f(x))" x2="\##(f(x))" y1="\##(f(py(lo)))" y2="\##(f(py(hi)))" stroke="#555" stroke-width="1.5"/>"##
                for y in [lo, hi] { svg += ##"<line x1="\##(f(x - 4))" x2="\##(f(x + 4))" y1="\##(f(py(y)))" y2="\##(f(py(y)))" stroke="#555"/>"## }
            }
            svg += ##"<circle cx="\##(f(x))" cy="\##(f(py(item.value)))" r="3.5" fill="\##(palette[0])"/>"##
            svg += ##"<text x="\##(f(x))" y="\##(f(top + h + 14))" text-anchor="middle" class="cl">\##(HTML.escape(item.label))</text>"##
        }
        return svg + "</svg>"
    }

    private static func axes(left: Double, top: Double, w: Double, h: Double, x: (Double, Double)?, y: (Double, Double)) -> String {
        var svg = ##"<rect x="\##(f(left))" y="\##(f(top))" width="\##(f(w))" height="\##(f(h))" fill="none" stroke="#bbb"/>"##
        let yTicks = ticks(y.0, y.1)
        for value in yTicks.values {
            let py = top + h - h * (value - y.0) / (y.1 - y.0)
            svg += ##"<line x1="\##(f(left))" x2="\##(f(left + w))" y1="\##(f(py))" y2="\##(f(py))" stroke="#eee"/>"##
            svg += ##"<text x="\##(f(left - 4))" y="\##(f(py + 3))" text-anchor="end" class="cl">\##(tick(value, step: yTicks.step))</text>"##
        }
        if let x {
            // the x axis counts training steps: whole numbers only
            let xTicks = ticks(x.0, x.1, minimumStep: 1)
            for value in xTicks.values {
                let px = left + w * (value - x.0) / (x.1 - x.0)
                svg += ##"<text x="\##(f(px))" y="\##(f(top + h + 14))" text-anchor="middle" class="cl">\##(tick(value, step: xTicks.step))</text>"##
            }
        }
        return svg
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// About `count` tick values at the multiples of a round step (1, 2 or 5 × 10ᵏ, at least
    /// `minimumStep`) that lie in lo…hi.
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 4, minimumStep: Double = 0) -> (values: [Double], step: Double) {
        let raw = max((hi - lo) / Double(count), minimumStep, .leastNormalMagnitude)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = max([1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * (1 - 1e-9) }!, minimumStep)
        let first = (lo / step - 1e-9).rounded(.up)
        let values = stride(from: first, through: hi / step + 1e-9, by: 1).map { $0 * step }
        return (values, step)
    }

    /// A tick label with as many decimals as the spacing of ticks needs (so 0.6915 and 0.6920
    /// differ), in exponent form for very large or very small magnitudes; never "-0".
    static func tick(_ v: Double, step: Double) -> String {
        let a = max(abs(v), step)
        if abs(v) < step * 1e-6 { return "0" }
        if a >= 1e5 || a < 1e-4 { return String(format: "%.3g", v) }
        let decimals = max(0, min(8, Int((-log10(step) - 1e-9).rounded(.up))))
        return String(format: "%.\(decimals)f", v)
    }
}

enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
