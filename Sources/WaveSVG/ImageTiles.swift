import Foundation

/// Small images side by side (e.g. one per weight template), each with its caption under it, each
/// its own panel. An image that fits in `maxCells` along each side is drawn value by value, signed
/// (blue < 0 < red); a larger one as the root mean square of blocks of values, from 0 (dark) to its
/// largest (yellow). Weight matrices look like noise at any resolution a thumbnail has when averaged
/// with signs (measured on DINOv2's templates: a 12×12 mean leaves noise), while the blocks' RMS
/// shows where the energy is: heads as bands of rows, a few input features as bright columns.
public struct ImageTiles: Sendable {
    public struct Tile: Sendable {
        public var values: [Double]
        public var rows: Int, cols: Int
        public var caption: String
        public init(values: [Double], rows: Int, cols: Int, caption: String) {
            precondition(values.count == rows * cols, "ImageTiles.Tile: \(values.count) values for \(rows)×\(cols)")
            self.values = values; self.rows = rows; self.cols = cols; self.caption = caption
        }
    }

    public var tiles: [Tile]
    /// Tiles per row of the layout.
    public var perRow: Int
    /// Pixels of a tile's longer side.
    public var tileSize: Double
    public var maxCells: Int
    /// Signed tiles coloured by their own ±max (shape, not scale, is what a template shows), or one scale for all.
    public var sharedScale: Bool = false
    public var colourBarTitle: String
    /// The height of a one-row image (a vector): a band, not a line one cell high.
    public var stripHeight: Double = 24

    public init(tiles: [Tile], perRow: Int, tileSize: Double = 150, maxCells: Int = 32, colourBarTitle: String) {
        self.tiles = tiles; self.perRow = max(perRow, 1); self.tileSize = tileSize; self.maxCells = maxCells
        self.colourBarTitle = colourBarTitle
    }

    /// Space between tiles and for a caption of two lines.
    public static let gap = 24.0, captionHeight = 36.0

    /// The height a row of the layout gives its images: strips when every image is one row.
    var imageHeight: Double { tiles.allSatisfy { $0.rows == 1 } ? stripHeight : tileSize }

    /// The layout's size for `tiles.count` tiles.
    public var size: (width: Double, height: Double) {
        let rows = (tiles.count + perRow - 1) / perRow, cols = min(tiles.count, perRow)
        return (Double(cols) * (tileSize + Self.gap), Double(rows) * (imageHeight + Self.captionHeight + Self.gap))
    }

    /// Draws the tiles from (x, y) on; captions may hold a line break ("\n") for a second line.
    public func draw(in doc: inout SVGDocument, x: Double, y: Double) {
        let shared = ColourScale.diverging(tiles.flatMap(\.values))
        for (i, t) in tiles.enumerated() {
            let (img, r, c) = Self.pooled(t.values, rows: t.rows, cols: t.cols, maxCells: maxCells)
            let magnitudes = r < t.rows || c < t.cols
            let cw = tileSize / Double(max(r, c)), ch = r == 1 ? stripHeight : cw
            let x0 = x + Double(i % perRow) * (tileSize + Self.gap), y0 = y + Double(i / perRow) * (imageHeight + Self.captionHeight + Self.gap)
            doc.panel("tile-\(i)") { doc in
                let scale = magnitudes ? ColourScale(.sequential(lo: 0, hi: img.max() ?? 1))
                    : sharedScale ? shared : ColourScale.diverging(img)
                scale.cells(img, rows: r, cols: c, in: &doc, x: x0, y: y0, cellWidth: cw, cellHeight: ch)
                doc.rect(x0, y0, Double(c) * cw, Double(r) * ch, fill: "none", stroke: "black")
                for (k, line) in t.caption.split(separator: "\n").enumerated() {
                    doc.text(String(line), x: x0 + Double(c) * cw / 2, y: y0 + Double(r) * ch + 16 + 14 * Double(k), anchor: .middle)
                }
            }
        }
    }

    /// At most `maxCells` along each side: the root mean square of blocks of ⌈side / maxCells⌉ values
    /// (the last block of a side may be smaller); the values themselves when they fit.
    public static func pooled(_ v: [Double], rows: Int, cols: Int, maxCells: Int) -> ([Double], Int, Int) {
        let fr = (rows + maxCells - 1) / maxCells, fc = (cols + maxCells - 1) / maxCells
        if fr <= 1 && fc <= 1 { return (v, rows, cols) }
        let r = (rows + fr - 1) / fr, c = (cols + fc - 1) / fc
        var out = [Double](repeating: 0, count: r * c), count = [Double](repeating: 0, count: r * c)
        for i in 0..<rows { for j in 0..<cols {
            let o = (i / fr) * c + j / fc
            out[o] += v[i * cols + j] * v[i * cols + j]; count[o] += 1
        } }
        return (zip(out, count).map { ($0 / $1).squareRoot() }, r, c)
    }
}
