using System.CommandLine;
using DeepPcr.Cli.Commands;

namespace DeepPcr.Cli;

/// <summary>The `deeppcr` command line: parses arguments and hands each verb to its command.</summary>
public static class Program
{
    /// <summary>Entry point; returns 0 on success, 2 on bad input, 1 on any other failure.</summary>
    public static int Main(string[] args)
    {
        OpenMpPolicy.PreferPassive();
        var root = ToolRootCommand.Create("DeepPcr: parallelise the sequential parts of neural networks (DeepPCR, NeurIPS 2023).");
        root.Subcommands.Add(DemoCommand.Create(args));
        root.Subcommands.Add(MlpCommand.Create(args));
        root.Subcommands.Add(BenchCommand.Create(args));
        root.Subcommands.Add(TrainCommand.Create(args));
        root.Subcommands.Add(RunCommand.Create(args));
        root.Subcommands.Add(SampleCommand.Create(args));
        root.Subcommands.Add(InfoCommand.Create(args));
        return root.Parse(args).Invoke();
    }
}
