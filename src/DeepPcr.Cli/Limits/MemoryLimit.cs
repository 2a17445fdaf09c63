using System.Globalization;

namespace DeepPcr.Cli.Limits;

/// <summary>The memory a run may use: the --max-memory given, otherwise the machine's available memory now.</summary>
/// <param name="Bytes">The limit.</param>
/// <param name="Source">Where it comes from, in words ("--max-memory", "available memory").</param>
public sealed record MemoryLimit(long Bytes, string Source)
{
    /// <summary>The --max-memory value when given, else <see cref="Available"/>.</summary>
    public static MemoryLimit Current => CliSession.Current.MaxMemory is long given ? new MemoryLimit(given, "the --max-memory limit") : Available();

    /// <summary>
    /// Linux's MemAvailable (what can be allocated without swapping), capped by the GC's view of the machine or
    /// container limit; the GC's view alone elsewhere.
    /// </summary>
    public static MemoryLimit Available()
    {
        long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long? available = MemAvailable();
        return available is long a ? new MemoryLimit(Math.Min(a, total), "the available memory") : new MemoryLimit(total, "the machine's memory");
    }

    private static long? MemAvailable()
    {
        try
        {
            string? line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal)) : null;
            var parts = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return parts is { Length: >= 2 } && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long kib) ? kib * 1024 : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
