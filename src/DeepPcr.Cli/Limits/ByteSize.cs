using System.Globalization;

namespace DeepPcr.Cli.Limits;

/// <summary>Sizes in bytes as people write them: "512M", "8G", "1.5GiB", "100000" (binary units: K = 1024).</summary>
public static class ByteSize
{
    /// <summary>Parses a positive size; throws <see cref="Errors.UsageException"/> naming <paramref name="option"/> otherwise.</summary>
    public static long Parse(string text, string option)
    {
        string t = text.Trim().ToUpperInvariant();
        foreach (string suffix in new[] { "IB", "B" })
        {
            if (t.EndsWith(suffix, StringComparison.Ordinal) && t.Length > suffix.Length) { t = t[..^suffix.Length]; break; }
        }
        double unit = t.Length > 0 ? t[^1] switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 1 } : 1;
        if (unit > 1) t = t[..^1];
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0) || !double.IsFinite(value * unit) || value * unit >= long.MaxValue)
        {
            throw new Errors.UsageException($"{option}: '{text}' is not a size; write e.g. 512M, 8G or 1.5GiB.");
        }
        return (long)Math.Ceiling(value * unit);
    }

    /// <summary>"1.5 GiB", "200 MiB", "12 KiB", "100 B"; sizes beyond long's range as powers of ten.</summary>
    public static string Format(double bytes)
    {
        string[] units = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        int u = 0;
        while (bytes >= 1024 && u < units.Length - 1) { bytes /= 1024; u++; }
        return bytes >= 1024 ? string.Create(CultureInfo.InvariantCulture, $"{bytes:0.0e0} {units[u]}")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes:0.#} {units[u]}");
    }
}
