using System.CommandLine;
using DeepPcr.GpuBench.Commands;

namespace DeepPcr.GpuBench;

/// <summary>The `deeppcr-gpu-bench` command line.</summary>
public static class Program
{
    /// <summary>Entry point; 0 on success, 2 on bad input or a missing accelerator, 1 on any other failure.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The exit code.</returns>
    public static int Main(string[] args)
    {
        var root = new RootCommand("DeepPCR on an ILGPU accelerator against sequential passes on the same device (deep tanh MLPs and diagonal recurrent cells, float32).");
        root.Subcommands.Add(PointCommand.Create(args));
        root.Subcommands.Add(GridCommand.Create(args));
        root.Subcommands.Add(CheckCommand.Create(args));
        root.Subcommands.Add(RnnCommand.Create(args));
        return root.Parse(args).Invoke();
    }
}
