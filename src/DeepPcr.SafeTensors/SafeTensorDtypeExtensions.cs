namespace DeepPcr.SafeTensors;

/// <summary>Element sizes and header spellings of <see cref="SafeTensorDtype"/>.</summary>
public static class SafeTensorDtypeExtensions
{
    /// <summary>The size of one element in bytes.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>8, 4, 2 or 1.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined dtype.</exception>
    public static int ElementSize(this SafeTensorDtype dtype) => dtype switch
    {
        SafeTensorDtype.F64 or SafeTensorDtype.I64 => 8,
        SafeTensorDtype.F32 or SafeTensorDtype.I32 => 4,
        SafeTensorDtype.F16 or SafeTensorDtype.BF16 or SafeTensorDtype.I16 => 2,
        SafeTensorDtype.I8 or SafeTensorDtype.U8 or SafeTensorDtype.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown safetensors dtype"),
    };

    /// <summary>The spelling used in the file header, for example "F32" or "BOOL".</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>The header string.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined dtype.</exception>
    public static string ToHeaderString(this SafeTensorDtype dtype) => dtype switch
    {
        SafeTensorDtype.F64 => "F64",
        SafeTensorDtype.F32 => "F32",
        SafeTensorDtype.F16 => "F16",
        SafeTensorDtype.BF16 => "BF16",
        SafeTensorDtype.I64 => "I64",
        SafeTensorDtype.I32 => "I32",
        SafeTensorDtype.I16 => "I16",
        SafeTensorDtype.I8 => "I8",
        SafeTensorDtype.U8 => "U8",
        SafeTensorDtype.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown safetensors dtype"),
    };

    /// <summary>Parses a header spelling (case-sensitive, as the format requires).</summary>
    /// <param name="text">The header string, for example "BF16".</param>
    /// <param name="dtype">The parsed dtype when the result is true.</param>
    /// <returns>Whether <paramref name="text"/> names a supported dtype.</returns>
    public static bool TryParseHeaderString(string? text, out SafeTensorDtype dtype)
    {
        switch (text)
        {
            case "F64": dtype = SafeTensorDtype.F64; return true;
            case "F32": dtype = SafeTensorDtype.F32; return true;
            case "F16": dtype = SafeTensorDtype.F16; return true;
            case "BF16": dtype = SafeTensorDtype.BF16; return true;
            case "I64": dtype = SafeTensorDtype.I64; return true;
            case "I32": dtype = SafeTensorDtype.I32; return true;
            case "I16": dtype = SafeTensorDtype.I16; return true;
            case "I8": dtype = SafeTensorDtype.I8; return true;
            case "U8": dtype = SafeTensorDtype.U8; return true;
            case "BOOL": dtype = SafeTensorDtype.Bool; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>Parses a header spelling (case-sensitive, as the format requires).</summary>
    /// <param name="text">The header string, for example "BF16".</param>
    /// <returns>The dtype.</returns>
    /// <exception cref="SafeTensorsFormatException"><paramref name="text"/> is not a supported dtype.</exception>
    public static SafeTensorDtype ParseHeaderString(string text) =>
        TryParseHeaderString(text, out SafeTensorDtype dtype)
            ? dtype
            : throw new SafeTensorsFormatException(
                $"unknown or unsupported dtype {SafeTensorText.Quote(text)}; supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL");
}
