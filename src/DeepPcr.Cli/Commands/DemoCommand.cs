using System.CommandLine;
using DeepPcr.Cli.Mlp;

namespace DeepPcr.Cli.Commands;

/// <summary>`deeppcr demo`: the main job on its embedded default (a seeded 1024-layer tanh MLP of width 4, batch 1, float32).</summary>
public static class DemoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(string[] args)
    {
        var options = new MlpOptions();
        var command = new Command("demo",
            "Time a seeded 1024-layer tanh MLP (width 4, batch 1, float32, gain 0.9) layer by layer in TorchSharp, as a fused C# loop, and with DeepPCR; print the table or --json.");
        command.Options.Add(options.Json);
        command.Options.Add(options.Repeats);
        command.SetAction(parsed => MlpOptions.Run(
            () => MlpPoint.Demo with { Repeats = parsed.GetValue(options.Repeats) }, parsed.GetValue(options.Json), args));
        return command;
    }
}
