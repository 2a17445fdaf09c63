using System.CommandLine;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Limits;
using DeepPcr.Cli.Mlp;
using DeepPcr.Models.Mlp;
using DeepPcr.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Commands;

/// <summary>
/// `deeppcr make-model`: writes a seeded deep-MLP model file and a matching input and cotangent file, the three
/// files `deeppcr run` reads (model.safetensors, input.safetensors, cotangent.safetensors in --out).
/// </summary>
public static class MakeModelCommand
{
    /// <summary>The file names written in the --out folder.</summary>
    public const string ModelName = "model.safetensors", InputName = "input.safetensors", CotangentName = "cotangent.safetensors";

    /// <summary>Builds the command.</summary>
    public static Command Create(string[] args)
    {
        var options = new MlpOptions();
        var recurrent = new RecurrentModelOptions();
        var output = new Option<string>("--out") { Description = $"Folder for {ModelName}, {InputName} and {CotangentName}.", Required = true };
        var command = new Command("make-model",
            "Write a seeded deep-MLP model file (layers.{i}.weight [w, w], layers.{i}.bias [w], metadata 'activation') with a matching input [B, w] and cotangent [B, w], "
            + "or with --cell a recurrent model file (PyTorch's state_dict() names, metadata 'cell') with an input [B, T, I] and cotangent [B, T, directions·H], for `deeppcr run`.");
        var mlpOnly = new Option[] { options.Layers, options.Width, options.Activation, options.Gain };
        foreach (Option o in mlpOnly.Concat(new Option[] { options.Batch, options.Dtype, options.Seed }).Concat(recurrent.All).Append(output)) command.Options.Add(o);
        command.SetAction(parsed => CommandRunner.Run(() =>
        {
            string folder = parsed.GetValue(output)!;
            if (recurrent.Requested(parsed))
            {
                var spec = recurrent.Spec(parsed, options, mlpOnly);
                spec.Write(folder, ModelName, InputName, CotangentName);
                Console.WriteLine($"wrote {Path.Combine(folder, ModelName)} ({spec.Describe()}), {InputName} and {CotangentName}");
                return 0;
            }
            recurrent.RefuseWithoutCell(parsed);
            var point = options.Point(parsed) with { Repeats = 1 };
            Write(point, folder);
            Console.WriteLine($"wrote {Path.Combine(folder, ModelName)} (L = {point.Layers}, w = {point.Width}, {point.Activation.Name()}, {point.DtypeName}), {InputName} and {CotangentName} [B = {point.Batch}, w = {point.Width}]");
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Writes the three files: the weights of <see cref="MlpChain.Random"/> at the point's seed, the input
    /// N(0, 1) from seed + 1 (as `deeppcr mlp` draws it) and the cotangent N(0, 1) from seed + 2.
    /// </summary>
    public static void Write(MlpPoint point, string folder)
    {
        point.Validate();
        PathChecks.WritableFolder(folder, "--out");
        MemoryEstimates.ModelFiles($"make-model at L = {point.Layers}, w = {point.Width}, B = {point.Batch}", point.Layers, point.Width, point.Batch,
            point.Dtype == ScalarType.Float32 ? 4 : 8).Check();
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(point.Layers, point.Width, point.Gain, point.Activation, point.Dtype, point.Seed);
        using var outputs = new AtomicOutputs();
        outputs.Write(Path.Combine(folder, ModelName), stream => MlpModelFile.Writer(chain).WriteTo(stream));
        outputs.Write(Path.Combine(folder, InputName), stream => Single("input", Normal(point, point.Seed + 1)).WriteTo(stream));
        outputs.Write(Path.Combine(folder, CotangentName), stream => Single("cotangent", Normal(point, point.Seed + 2)).WriteTo(stream));
        outputs.Commit();
    }

    private static Tensor Normal(MlpPoint point, long seed) =>
        torch.randn(new long[] { point.Batch, point.Width }, dtype: ScalarType.Float64, generator: new Generator((ulong)seed)).to_type(point.Dtype);

    private static SafeTensorWriter Single(string name, Tensor tensor)
    {
        var writer = new SafeTensorWriter();
        TensorFiles.Add(writer, name, tensor);
        return writer;
    }
}
