using System.Globalization;

namespace DeepPcr.GpuCheck;

/// <summary>When the raw driver-API route runs.</summary>
public enum DriverApiMode
{
    /// <summary>Only when ILGPU listed no CUDA device or its CUDA kernel failed.</summary>
    Auto,

    /// <summary>Always (a cross-check of the driver with a hand-written PTX kernel).</summary>
    Always,

    /// <summary>Never.</summary>
    Never,
}

/// <summary>The check's command-line options.</summary>
public sealed record CheckOptions
{
    /// <summary>A file the JSON is also written to (after every stage), or null.</summary>
    public string? OutFile { get; init; }

    /// <summary>The torch/lib folder of the machine's Python; the TorchSharp probe runs only when it is given.</summary>
    public string? TorchLib { get; init; }

    /// <summary>The TorchSharp probe's path, or null to look next to this program and in ../torchprobe/.</summary>
    public string? TorchProbe { get; init; }

    /// <summary>How long the probe may run (default 90 s).</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>When the driver-API route runs (default <see cref="DriverApiMode.Auto"/>).</summary>
    public DriverApiMode DriverApi { get; init; } = DriverApiMode.Auto;

    /// <summary>The kernel stage's sizes and accelerator choice.</summary>
    public KernelOptions Kernel { get; init; } = new();

    /// <summary>The usage text.</summary>
    public const string Usage = """
        DeepPcr.GpuCheck: proves the GPU route (ILGPU, the CUDA driver API, TorchSharp) and prints one JSON object.
        options:
          --out FILE                 also write the JSON to FILE (rewritten after every stage)
          --torch-lib DIR            run the TorchSharp probe against DIR (the torch/lib folder of the machine's Python)
          --torch-probe PATH         the probe (default: DeepPcr.TorchProbe next to this program, or ../torchprobe/)
          --probe-timeout SECONDS    kill the probe after this long (default 90)
          --driver-api auto|always|never   run the raw driver-API route (default auto: only when ILGPU's CUDA route fails)
          --accelerator auto|cpu|cuda      kernel stage's accelerator (default auto: first CUDA device, else CPU)
          --repetitions N            timed launches and copies (default 20)
          -h, --help                 this text
        """;

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The options, or null when help was asked for.</returns>
    /// <exception cref="ArgumentException">An unknown option or a bad value.</exception>
    public static CheckOptions? Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new CheckOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "-h" or "--help" => null,
                "--out" => options with { OutFile = Value() },
                "--torch-lib" => options with { TorchLib = Value() },
                "--torch-probe" => options with { TorchProbe = Value() },
                "--probe-timeout" => options with { ProbeTimeout = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)) },
                "--driver-api" => options with { DriverApi = ParseEnum<DriverApiMode>(Value()) },
                "--accelerator" => options with { Kernel = options.Kernel with { Accelerator = ParseEnum<AcceleratorChoice>(Value()) } },
                "--repetitions" => options with { Kernel = options.Kernel with { Repetitions = int.Parse(Value(), CultureInfo.InvariantCulture) } },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
            if (options is null)
                return null;
        }
        return options;
    }

    private static T ParseEnum<T>(string value) where T : struct, Enum =>
        Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new ArgumentException($"'{value}' is not one of {string.Join(", ", Enum.GetNames<T>()).ToLowerInvariant()}");
}
