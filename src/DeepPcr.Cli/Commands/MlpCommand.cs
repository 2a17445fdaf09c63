using System.CommandLine;

namespace DeepPcr.Cli.Commands;

/// <summary>`deeppcr mlp`: the demo's measurement for any (L, w, B, activation, gain, dtype, seed).</summary>
public static class MlpCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(string[] args)
    {
        var options = new MlpOptions();
        var command = new Command("mlp", "Time one deep-MLP point: TorchSharp layer by layer, a fused C# loop, and DeepPCR (the demo's JSON for any point).");
        options.AddTo(command);
        command.SetAction(parsed => options.Run(parsed, args));
        return command;
    }
}
