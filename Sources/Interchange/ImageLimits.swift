/// How large an image vlm-align reads.
public enum ImageLimits {
    /// The most pixels an image may have by default (64 Mi, 8192 × 8192): a larger one is refused
    /// from its header, before anything is allocated for it, so that a small file claiming a
    /// huge size cannot exhaust memory.
    public static let pixelBudget = 1 << 26

    /// Why `width × height` is over `budget`, or nil when it is not.
    public static func problem(width: Int, height: Int, budget: Int) -> String? {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard overflow || pixels > budget else { return nil }
        return "the image is \(width)x\(height) = \(overflow ? "too many" : "\(pixels)") pixels, over the limit of \(budget)"
    }
}
