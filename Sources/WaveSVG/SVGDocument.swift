import Foundation

/// A standalone SVG 1.1 document, built element by element: no fonts, scripts, links or images to
/// fetch, so it renders the same in a browser, an image viewer or a README without JavaScript.
/// Coordinates are written with one decimal (a tenth of a pixel is below what a screen shows), which
/// keeps files small and diffs stable.
public struct SVGDocument {
    public let width: Double, height: Double
    private var parts: [String] = []

    public enum Anchor: String { case start, middle, end }

    /// A white canvas with `title` as the document's accessible name (not drawn: add a `text` for that).
    public init(width: Double, height: Double, title: String) {
        self.width = width; self.height = height
        let (w, h) = (SVG.number(width), SVG.number(height))
        parts.append(#"<?xml version="1.0" encoding="UTF-8"?>"#)
        parts.append(#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\#(w)" height="\#(h)" "#
                     + #"viewBox="0 0 \#(w) \#(h)" font-family="sans-serif" font-size="12">"#)
        parts.append("<title>\(SVG.escaped(title))</title>")
        parts.append(#"<rect x="0" y="0" width="\#(w)" height="\#(h)" fill="white"/>"#)
    }

    /// An element written as given: for callers that need an attribute the helpers below lack.
    public mutating func raw(_ element: String) { parts.append(element) }

    public mutating func text(_ s: String, x: Double, y: Double, anchor: Anchor = .start, size: Double? = nil,
                              rotated: Bool = false, fill: String? = nil) {
        var a = #"<text x="\#(SVG.number(x))" y="\#(SVG.number(y))""#
        if anchor != .start { a += #" text-anchor="\#(anchor.rawValue)""# }
        if let size { a += #" font-size="\#(SVG.number(size))""# }
        if let fill { a += #" fill="\#(fill)""# }
        if rotated { a += #" transform="rotate(-90 \#(SVG.number(x)) \#(SVG.number(y)))""# }
        parts.append(a + ">" + SVG.escaped(s) + "</text>")
    }

    public mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String,
                              width: Double? = nil, dash: String? = nil) {
        parts.append(#"<line x1="\#(SVG.number(x1))" y1="\#(SVG.number(y1))" x2="\#(SVG.number(x2))" y2="\#(SVG.number(y2))" "#
                     + #"stroke="\#(stroke)""# + Self.strokeStyle(width, dash) + "/>")
    }

    public mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double = 2, dash: String? = nil) {
        let coords = points.map { "\(SVG.number($0.x)),\(SVG.number($0.y))" }.joined(separator: " ")
        parts.append(#"<polyline fill="none" stroke="\#(stroke)""# + Self.strokeStyle(width, dash) + #" points="\#(coords)"/>"#)
    }

    public mutating func circle(_ cx: Double, _ cy: Double, r: Double, fill: String) {
        parts.append(#"<circle cx="\#(SVG.number(cx))" cy="\#(SVG.number(cy))" r="\#(SVG.number(r))" fill="\#(fill)"/>"#)
    }

    public mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil) {
        parts.append(#"<rect x="\#(SVG.number(x))" y="\#(SVG.number(y))" width="\#(SVG.number(w))" height="\#(SVG.number(h))" "#
                     + #"fill="\#(fill)""# + (stroke.map { #" stroke="\#($0)""# } ?? "") + "/>")
    }

    /// A picture's panels are groups of class "panel", so a reader (or a test) can tell them apart.
    public mutating func panel(_ name: String, _ draw: (inout SVGDocument) -> Void) {
        parts.append(#"<g class="panel" id="\#(SVG.escaped(SVG.identifier(name)))">"#)
        draw(&self)
        parts.append("</g>")
    }

    public var rendered: String { (parts + ["</svg>"]).joined(separator: "\n") + "\n" }

    private static func strokeStyle(_ width: Double?, _ dash: String?) -> String {
        (width.map { #" stroke-width="\#(SVG.number($0))""# } ?? "") + (dash.map { #" stroke-dasharray="\#($0)""# } ?? "")
    }
}

/// Formatting shared by every picture.
public enum SVG {
    /// A coordinate with one decimal, without a trailing ".0" or a negative zero.
    public static func number(_ v: Double) -> String {
        var s = String(format: "%.1f", v)
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s == "-0" ? "0" : s
    }

    /// A tick label: whole numbers as integers, others in %g's shortest form.
    public static func label(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? "\(Int(v))" : String(format: "%g", v)
    }

    /// Text and attribute values for XML; control characters XML 1.0 cannot carry are dropped.
    public static func escaped(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            default: if u.value >= 0x20 && u.value != 0xFFFE && u.value != 0xFFFF { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    /// A name as an XML id: ASCII letters, digits, '-', '_' and '.' kept, anything else as '-'.
    static func identifier(_ s: String) -> String {
        let kept = String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "-" })
        return kept.first?.isLetter == true ? kept : "p-" + kept
    }
}
