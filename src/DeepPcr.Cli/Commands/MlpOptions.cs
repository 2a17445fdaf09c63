using DeepPcr.Cli.Progress;
using System.CommandLine;
using DeepPcr.Cli.Mlp;
using DeepPcr.Models.Mlp;

namespace DeepPcr.Cli.Commands;

/// <summary>The options shared by `deeppcr demo` and `deeppcr mlp`, with the demo's defaults.</summary>
public sealed class MlpOptions
{
    public Option<int> Layers { get; } = new("--layers", "-L") { Description = "Number of layers L.", DefaultValueFactory = _ => MlpPoint.Demo.Layers };
    public Option<int> Width { get; } = new("--width", "-w") { Description = "Layer width w.", DefaultValueFactory = _ => MlpPoint.Demo.Width };
    public Option<int> Batch { get; } = new("--batch", "-B") { Description = "Batch size B.", DefaultValueFactory = _ => MlpPoint.Demo.Batch };
    public Option<string> Activation { get; } = new("--activation") { Description = "tanh, relu, gelu, sigmoid or identity.", DefaultValueFactory = _ => "tanh" };
    public Option<double> Gain { get; } = new("--gain") { Description = "Weights are N(0, gain^2/w); biases N(0, 0.1^2).", DefaultValueFactory = _ => MlpPoint.Demo.Gain };
    public Option<string> Dtype { get; } = new("--dtype") { Description = "float32 or float64.", DefaultValueFactory = _ => "float32" };
    public Option<long> Seed { get; } = new("--seed") { Description = "Seed of the weights; the input uses seed + 1.", DefaultValueFactory = _ => MlpPoint.Demo.Seed };
    public Option<int> Repeats { get; } = new("--repeats") { Description = "Timed repetitions per case (median reported).", DefaultValueFactory = _ => MlpPoint.Demo.Repeats };
    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON object instead of the table." };

    /// <summary>Adds every option to the command.</summary>
    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Layers, Width, Batch, Activation, Gain, Dtype, Seed, Repeats, Json }) command.Options.Add(option);
    }

    /// <summary>The point the parsed options describe.</summary>
    public MlpPoint Point(ParseResult parsed) => new(
        parsed.GetValue(Layers), parsed.GetValue(Width), parsed.GetValue(Batch), parsed.GetValue(Gain),
        Activations.Parse(parsed.GetValue(Activation)!), MlpPoint.ParseDtype(parsed.GetValue(Dtype)!),
        parsed.GetValue(Seed), parsed.GetValue(Repeats));

    /// <summary>Runs the experiment and prints it as JSON or as a table.</summary>
    public int Run(ParseResult parsed, string[] args) => Run(() => Point(parsed), parsed.GetValue(Json), args);

    /// <summary>Runs the experiment at the point <paramref name="point"/> gives and prints it as JSON or as a table.</summary>
    public static int Run(Func<MlpPoint> point, bool json, string[] args) => CommandRunner.Run(() =>
    {
        var p = point();
        p.Validate();
        p.Memory().Check();
        System.Text.Json.Nodes.JsonObject report;
        using (var progress = ProgressReporter.Start($"L = {p.Layers}, w = {p.Width}, B = {p.Batch}")) report = MlpExperiment.Run(p, args, progress);
        if (json) Console.WriteLine(report.ToJsonString());
        else MlpReportPrinter.Print(report, Console.Out);
        return 0;
    });
}
