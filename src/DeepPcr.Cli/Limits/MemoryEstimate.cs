using System.Globalization;

namespace DeepPcr.Cli.Limits;

/// <summary>
/// The memory a run will need, as named buffers computed from its arguments before anything is allocated, and the
/// check against a <see cref="MemoryLimit"/>: a run that needs more, or one whose largest buffer has more elements
/// than one array can index, is refused with a one-line <see cref="Errors.UsageException"/> (exit 2).
/// </summary>
public sealed class MemoryEstimate
{
    /// <summary>What every process needs besides the buffers: the .NET runtime and libtorch's code and pools.</summary>
    public const double BaseBytes = 256.0 * (1 << 20);

    /// <summary>The most elements one buffer may hold: .NET's largest array and span index.</summary>
    public const double MaxElements = 2147483591;

    private readonly List<(string Name, double Elements, double Bytes)> buffers = new();

    /// <summary>A new estimate for the run described by <paramref name="run"/> (e.g. "mlp at L = 1024, w = 4, B = 1, float32").</summary>
    public MemoryEstimate(string run) => Run = run;

    /// <summary>The run, in words.</summary>
    public string Run { get; }

    /// <summary>The total in bytes, the base included. A double: absurd sizes overflow long.</summary>
    public double TotalBytes => BaseBytes + buffers.Sum(b => b.Bytes);

    /// <summary>Adds <paramref name="copies"/> buffers of <paramref name="elements"/> numbers of <paramref name="bytesPerElement"/> bytes each.</summary>
    /// <param name="name">What the buffer holds and its size formula, e.g. "Jacobians L*B*w^2".</param>
    /// <param name="elements">Elements of one buffer (a double: sizes may overflow long).</param>
    /// <param name="bytesPerElement">4 for float32, 8 for float64.</param>
    /// <param name="copies">How many such buffers live at once.</param>
    public MemoryEstimate Add(string name, double elements, int bytesPerElement, int copies = 1)
    {
        buffers.Add((copies == 1 ? name : $"{copies} x {name}", elements, elements * bytesPerElement * copies));
        return this;
    }

    /// <summary>Throws <see cref="Errors.UsageException"/> when the run needs more than <paramref name="limit"/> or a buffer overflows the index types.</summary>
    public void Check(MemoryLimit limit)
    {
        if (TotalBytes > limit.Bytes)
        {
            var largest = buffers.OrderByDescending(b => b.Bytes).Take(2).Select(b => $"{b.Name}: {ByteSize.Format(b.Bytes)}");
            throw new Errors.UsageException(
                $"not enough memory: {Run} needs about {ByteSize.Format(TotalBytes)} ({string.Join(", ", largest)}) but {limit.Source} is {ByteSize.Format(limit.Bytes)}; use smaller sizes.");
        }
        var overflowing = buffers.Where(b => b.Elements > MaxElements).OrderByDescending(b => b.Elements).FirstOrDefault();
        if (overflowing.Name is not null)
        {
            throw new Errors.UsageException(string.Create(CultureInfo.InvariantCulture,
                $"too large: {Run} needs {overflowing.Name} of {overflowing.Elements:0.###e0} elements, more than one buffer can index ({MaxElements:0}); use smaller sizes."));
        }
    }

    /// <summary>Checks against the current limit (--max-memory or the available memory).</summary>
    public void Check() => Check(MemoryLimit.Current);
}
