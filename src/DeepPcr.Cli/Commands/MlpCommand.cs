using System.CommandLine;
using DeepPcr.Cli.Distributed;

namespace DeepPcr.Cli.Commands;

/// <summary>`deeppcr mlp`: the demo's measurement for any (L, w, B, activation, gain, dtype, seed), in one process or split across MPI ranks.</summary>
public static class MlpCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(string[] args)
    {
        var options = new MlpOptions();
        var distributed = DistributedCommand.Option();
        var command = new Command("mlp", "Time one deep-MLP point: TorchSharp layer by layer, a fused C# loop, and DeepPCR (the demo's JSON for any point); with --distributed, DeepPCR split across MPI ranks.");
        options.AddTo(command);
        command.Options.Add(distributed);
        command.SetAction(parsed => parsed.GetValue(distributed)
            ? DistributedCommand.Run(() => options.Point(parsed), parsed.GetValue(options.Json), args)
            : options.Run(parsed, args));
        return command;
    }
}
