using System.CommandLine;
using System.Text.Json;
using DeepPcr.Cli.Measuring;
using TorchSharp;

namespace DeepPcr.Cli.Commands;

/// <summary>`deeppcr info`: the provenance envelope of this build and machine, and whether TorchSharp loads.</summary>
public static class InfoCommand
{
    /// <summary>Builds the command.</summary>
    /// <param name="args">The process arguments, recorded in the envelope.</param>
    public static Command Create(string[] args)
    {
        var command = new Command("info", "Print the JSON provenance envelope (jit, machine, git_sha, threads) and the TorchSharp version.");
        command.SetAction(_ => CommandRunner.Run(() =>
        {
            var envelope = Provenance.Envelope("float32", $"torch intra-op threads {Provenance.TorchThreads}", args);
            envelope["torchsharp"] = typeof(torch).Assembly.GetName().Version?.ToString();
            using var probe = torch.ones(2, 2);
            envelope["torch_loads"] = probe.sum().item<float>() == 4f;
            Console.WriteLine(envelope.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }));
        return command;
    }
}
