using System.CommandLine;
using System.Globalization;
using DeepPcr.Gpu.Engine;
using DeepPcr.GpuBench.Bench;

namespace DeepPcr.GpuBench.Commands;

/// <summary>The options every command takes: repeats, accelerator, seed, gain.</summary>
public sealed class SharedOptions
{
    /// <summary>--repeats (default 5).</summary>
    public Option<int> Repeats { get; } = new("--repeats") { Description = "Timed repetitions per method, interleaved after one warm-up; medians are reported (use >= 5 for figures).", DefaultValueFactory = _ => 5 };

    /// <summary>--accelerator cuda|cpu (default cuda).</summary>
    public Option<string> Accelerator { get; } = new("--accelerator") { Description = "cuda (the first CUDA device) or cpu (ILGPU's CPU emulator, about 1000x slower).", DefaultValueFactory = _ => "cuda" };

    /// <summary>--seed (default 1).</summary>
    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the random model, input and cotangent.", DefaultValueFactory = _ => 1 };

    /// <summary>--gain (default 1.0).</summary>
    public Option<double> Gain { get; } = new("--gain") { Description = "Weights are N(0, gain^2 / w); biases N(0, 0.01).", DefaultValueFactory = _ => 1.0 };

    /// <summary>--one-group-max-work (default 2^18).</summary>
    public Option<long> OneGroupMaxWork { get; } = new("--one-group-max-work")
    {
        Description = "Cells with L*B*w^3 up to this run each Newton iteration and the backward pass as one launch of one thread group; 0 turns that path off.",
        DefaultValueFactory = _ => EngineOptions.Default.OneGroupMaxWork,
    };

    /// <summary>--tiled-from-width (default 16).</summary>
    public Option<int> TiledFromWidth { get; } = new("--tiled-from-width")
    {
        Description = "Outside the one-group path, PCR rounds use the shared-memory tiled kernel from this width on (one thread per block entry below it).",
        DefaultValueFactory = _ => EngineOptions.Default.TiledFromWidth,
    };

    /// <summary>Adds the options to a command.</summary>
    /// <param name="command">The command.</param>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Repeats);
        command.Options.Add(Accelerator);
        command.Options.Add(Seed);
        command.Options.Add(Gain);
        command.Options.Add(OneGroupMaxWork);
        command.Options.Add(TiledFromWidth);
    }

    /// <summary>The settings the parse result gives.</summary>
    /// <param name="parsed">The parse result.</param>
    /// <returns>Validated settings.</returns>
    /// <exception cref="ArgumentException">A bad value.</exception>
    public BenchSettings Read(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        var settings = new BenchSettings(parsed.GetValue(Repeats), parsed.GetValue(Seed), parsed.GetValue(Gain), ParseAccelerator(parsed.GetValue(Accelerator)),
            EngineOptions.Default with { OneGroupMaxWork = parsed.GetValue(OneGroupMaxWork), TiledFromWidth = parsed.GetValue(TiledFromWidth) });
        settings.Validate();
        return settings;
    }

    /// <summary>Parses "cuda" or "cpu".</summary>
    /// <param name="text">The option's value.</param>
    /// <returns>The accelerator kind.</returns>
    /// <exception cref="ArgumentException">Any other value.</exception>
    public static AcceleratorKind ParseAccelerator(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "cuda" => AcceleratorKind.Cuda,
        "cpu" => AcceleratorKind.Cpu,
        _ => throw new ArgumentException($"--accelerator is '{text}'; use cuda or cpu."),
    };

    /// <summary>Parses a comma-separated list of positive integers such as "64,256,1024".</summary>
    /// <param name="text">The list.</param>
    /// <param name="name">The option's name, for messages.</param>
    /// <returns>The values in the given order.</returns>
    /// <exception cref="ArgumentException">An empty list or an entry that is not a positive integer.</exception>
    public static int[] ParseList(string? text, string name)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException($"{name} is empty; give comma-separated positive integers, e.g. 64,256,1024.");
        return parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0
            ? v
            : throw new ArgumentException($"{name}: '{p}' is not a positive integer.")).ToArray();
    }
}
