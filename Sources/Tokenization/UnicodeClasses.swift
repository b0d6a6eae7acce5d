/// The character classes the Rust `tokenizers` crate tests with (`char::is_whitespace`,
/// `is_numeric`, `unicode_categories`), and the ones its regex engines use for `\s`, `\w`, `\p{…}`.
extension Unicode.Scalar {
    /// Unicode White_Space, as Rust's `char::is_whitespace`, Oniguruma's `\s` and regex's `\s`.
    var isWhiteSpace: Bool { properties.isWhitespace }

    var isLetter: Bool {
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// General category N (Nd, Nl, No), as Rust's `char::is_numeric` and `\p{N}`.
    var isNumber: Bool {
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    var isMark: Bool {
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    var isPunctuation: Bool {
        switch properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// General category C (Cc, Cf, Cs, Co, Cn), as `unicode_categories`' `is_other`.
    var isOther: Bool {
        switch properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// `\w` of the regex engines: Alphabetic, marks, decimal digits, connector punctuation, joiners.
    var isWordCharacter: Bool {
        let p = properties
        if p.isAlphabetic || p.isJoinControl { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// Rust's `is_ascii_punctuation || is_punctuation`, the BERT and Punctuation pre-tokenizers' test.
    var isBertPunctuation: Bool {
        if isASCII {
            let v = value
            return (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v) || (0x7B...0x7E).contains(v)
        }
        return isPunctuation
    }

    /// The CJK ideograph blocks BERT surrounds with spaces.
    var isChineseCharacter: Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }
}
