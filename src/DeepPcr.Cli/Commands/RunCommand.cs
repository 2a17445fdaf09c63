using System.CommandLine;
using System.Text.Json.Nodes;
using DeepPcr.Backward;
using DeepPcr.Chains;
using DeepPcr.Cli.Errors;
using DeepPcr.Cli.Limits;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Recurrent;
using DeepPcr.Cli.Solvers;
using DeepPcr.Models.Mlp;
using DeepPcr.SafeTensors;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Commands;

/// <summary>
/// `deeppcr run`: evaluates a deep-MLP model file, or a recurrent one (metadata 'cell'; <see cref="RecurrentRun"/>),
/// on an input file with DeepPCR, sequentially or (recurrent files) any method of the registry, and with a cotangent
/// file also the vector-Jacobian product of sum(output * cotangent). Bad input gives a one-line error and exit code 2,
/// and no output file.
/// </summary>
public static class RunCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(string[] args)
    {
        var model = new Option<string>("--model")
        {
            Description = "Model: a deep MLP (layers.{i}.weight [w, w], layers.{i}.bias [w], metadata 'activation'), or a recurrent network "
                + "(PyTorch's state_dict() names weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..., metadata 'cell' = gru, lstm, gru-diag or lstm-cifg-diag).",
            Required = true,
        };
        var input = new Option<string>("--input")
        {
            Description = "Input file (F32 or F64: the computation's dtype): 'input' [B, w] for an MLP; 'input' [B, T, I] and optional 'h0' (and 'c0') [layers·directions, B, H] for a recurrent model.",
            Required = true,
        };
        var output = new Option<string>("--output")
        {
            Description = "Output file: 'output' [B, w] (MLP) or 'output' [B, T, directions·H], 'h_n' (and 'c_n') [layers·directions, B, H] (recurrent), and the gradients with --cotangent.",
            Required = true,
        };
        var solver = new Option<string>("--solver")
        {
            Description = $"Recurrent models: any of {string.Join(", ", SolverCatalog.All.Select(e => e.Name))}; deep MLPs: deeppcr or sequential.",
            DefaultValueFactory = _ => "deeppcr",
        };
        var cotangent = new Option<string?>("--cotangent")
        {
            Description = "File holding 'cotangent' shaped as 'output': also write grad.input and a grad.{name} for every parameter (and grad.h0, grad.c0 for a recurrent model).",
        };
        var json = new Option<bool>("--json") { Description = "Print method, engine, iterations, pcr_rounds, termination and fallback as JSON (per layer and direction too for recurrent models with several)." };
        var command = new Command("run", "Run a deep-MLP or recurrent (GRU, LSTM, gru-diag, lstm-cifg-diag) model file on an input file (forward, and the backward pass with --cotangent).");
        var distributed = Distributed.DistributedCommand.Option();
        foreach (Option o in new Option[] { model, input, output, solver, cotangent, json, distributed }) command.Options.Add(o);
        command.SetAction(parsed => parsed.GetValue(distributed) ? RunDistributed(parsed, model, input, output, solver, cotangent, json) : CommandRunner.Run(() =>
        {
            var report = Run(parsed.GetValue(model)!, parsed.GetValue(input)!, parsed.GetValue(output)!, parsed.GetValue(solver)!, parsed.GetValue(cotangent));
            if (parsed.GetValue(json)) Console.WriteLine(report.ToJsonString());
            else Console.WriteLine($"{report["method"]}: {report["termination"]} after {report["iterations"]} iterations of {report["pcr_rounds"]} PCR rounds (fallback {report["fallback"]}); wrote {parsed.GetValue(output)}");
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Does the work; returns the JSON summary. Paths, sizes and memory are checked before any computation; the
    /// output file is written (atomically) only when everything succeeded and every value is finite.
    /// </summary>
    /// <exception cref="NumericalFailureException">The states or gradients hold NaN or infinity.</exception>
    public static JsonObject Run(string modelPath, string inputPath, string outputPath, string solverName, string? cotangentPath)
    {
        var entry = SolverCatalog.All.FirstOrDefault(e => e.Name == solverName);
        if (entry.Solver is null) throw new UsageException($"--solver: unknown solver '{solverName}'; use one of {string.Join(", ", SolverCatalog.All.Select(e => e.Name))}.");
        CheckPaths(modelPath, inputPath, outputPath, cotangentPath);
        var modelFile = TensorFiles.Open(modelPath, "model");
        if (RecurrentModelFile.IsRecurrent(modelFile)) return RecurrentRun.Run(modelFile, inputPath, outputPath, entry.Solver, entry.Options, cotangentPath);
        IChainSolver solver = solverName switch
        {
            "deeppcr" => ParallelChainSolver.DeepPcr,
            "sequential" => SequentialSolver.Instance,
            _ => throw new UsageException($"--solver: deep-MLP model files run with deeppcr or sequential ('{solverName}' serves recurrent model files)."),
        };
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (chain, x, g) = LoadMlp(modelFile, modelPath, inputPath, cotangentPath, solverName == "sequential" ? null : JacobianStructure.Dense);
        var solution = solver.Solve(chain, x);
        NonFinite.Check(solution.States, "the states", "layer");
        var report = Names.Outcome(solution);
        var gradients = g is null ? null
            : solverName == "sequential" ? AutogradGradients(chain, x, g) : ParallelGradients(chain, x, solution.States, g, report);
        Write(outputPath, solution.States[chain.Length - 1], gradients);
        return report;
    }

    private static int RunDistributed(ParseResult parsed, Option<string> model, Option<string> input, Option<string> output,
        Option<string> solver, Option<string?> cotangent, Option<bool> json)
    {
        if (parsed.GetValue(solver) != "deeppcr")
        {
            Console.Error.WriteLine("error: --distributed runs the deeppcr solver; leave out --solver or use --solver deeppcr.");
            return ExitCodes.UsageError;
        }
        return Distributed.DistributedRun.Run(parsed.GetValue(model)!, parsed.GetValue(input)!, parsed.GetValue(output)!, parsed.GetValue(cotangent), parsed.GetValue(json));
    }

    /// <summary>Checks the paths (readable inputs, a writable output distinct from them) and opens the model file: its
    /// header only where <paramref name="headerOnly"/> (tensors are then read from the file when asked for).</summary>
    /// <exception cref="UsageException">A missing or unreadable file, or an output that is one of the inputs.</exception>
    public static SafeTensorFile OpenModel(string modelPath, string inputPath, string outputPath, string? cotangentPath, bool headerOnly)
    {
        CheckPaths(modelPath, inputPath, outputPath, cotangentPath);
        return headerOnly ? TensorFiles.OpenHeader(modelPath, "model") : TensorFiles.Open(modelPath, "model");
    }

    /// <summary>
    /// Reads the input, the deep-MLP model and the cotangent and checks their sizes and the memory the run needs
    /// (<paramref name="structure"/>: the Jacobians it stores, or null for none).
    /// </summary>
    /// <returns>The model (L steps), the input (B, w) and the cotangent (B, w) or null; in the caller's dispose scope.</returns>
    private static (MlpChain Chain, Tensor Input, Tensor? Cotangent) LoadMlp(SafeTensorFile modelFile, string modelPath, string inputPath, string? cotangentPath, JacobianStructure? structure)
    {
        var (x, g) = LoadMlpInputs(modelFile, modelPath, inputPath, cotangentPath, structure);
        return (MlpModelFile.Load(modelFile, x.dtype), x, g);
    }

    /// <summary>
    /// Checks a deep-MLP model file from its header (<see cref="MlpModelFile.Check"/>), reads the input and the
    /// cotangent, and checks their sizes against it and the memory the run needs (<paramref name="structure"/>: the
    /// Jacobians it stores, or null for none); the model's tensors are not read.
    /// </summary>
    /// <returns>The input (B, w) and the cotangent (B, w) or null; in the caller's dispose scope.</returns>
    public static (Tensor Input, Tensor? Cotangent) LoadMlpInputs(SafeTensorFile modelFile, string modelPath, string inputPath, string? cotangentPath, JacobianStructure? structure)
    {
        var x = TensorFiles.Read(TensorFiles.Open(inputPath, "input"), "input");
        if (x.dim() != 2) throw new InvalidDataException($"{inputPath}: tensor 'input' has shape [{string.Join(", ", x.shape)}]; [B, w] was expected.");
        var (layers, width, _) = MlpModelFile.Check(modelFile);
        if (x.size(1) != width) throw new InvalidDataException($"{inputPath}: tensor 'input' has width {x.size(1)} but the model {modelPath} has width {width}.");
        MemoryEstimates.Mlp($"run on {modelPath} (L = {layers}, w = {width}, B = {x.size(0)})", layers, width, x.size(0), (int)x.element_size(), structure).Check();
        Tensor? g = null;
        if (cotangentPath is not null)
        {
            g = TensorFiles.Read(TensorFiles.Open(cotangentPath, "cotangent"), "cotangent", x.shape);
            if (g.dtype != x.dtype) throw new InvalidDataException($"{cotangentPath}: tensor 'cotangent' is {g.dtype} but 'input' is {x.dtype}; they must match.");
        }
        return (x, g);
    }

    /// <summary>Writes the output file atomically: 'output' [B, w] and, with gradients [input (B, w), weights (L, w, w), biases (L, w)], their entries.</summary>
    /// <exception cref="NumericalFailureException">A gradient holds NaN or infinity.</exception>
    public static void Write(string outputPath, Tensor output, Tensor[]? gradients)
    {
        var writer = new SafeTensorWriter();
        TensorFiles.Add(writer, "output", output);
        if (gradients is not null)
        {
            NonFinite.Check(gradients[1], "the weight gradients", "layer");
            NonFinite.Check(gradients[2], "the bias gradients", "layer");
            NonFinite.Check(gradients[0].unsqueeze(0), "the input gradient", "input");
            TensorFiles.Add(writer, "grad.input", gradients[0]);
            for (int i = 0; i < gradients[1].size(0); i++)
            {
                TensorFiles.Add(writer, $"grad.layers.{i}.weight", gradients[1][i]);
                TensorFiles.Add(writer, $"grad.layers.{i}.bias", gradients[2][i]);
            }
        }
        using var outputs = new AtomicOutputs();
        outputs.Write(outputPath, writer.WriteTo);
        outputs.Commit();
    }

    private static void CheckPaths(string modelPath, string inputPath, string outputPath, string? cotangentPath)
    {
        var inputs = new List<(string, string)> { (modelPath, "--model"), (inputPath, "--input") };
        if (cotangentPath is not null) inputs.Add((cotangentPath, "--cotangent"));
        foreach (var (path, option) in inputs) PathChecks.Readable(path, option);
        PathChecks.WritableFile(outputPath, "--output");
        PathChecks.Distinct(new[] { (outputPath, "--output") }, inputs);
    }

    private static Tensor[] ParallelGradients(MlpChain chain, Tensor x, Tensor states, Tensor g, JsonObject report)
    {
        var adjoint = AdjointSolver.Solve(chain, x, states, g);
        report["backward_pcr_rounds"] = adjoint.PcrRounds;
        return new[] { adjoint.InputGradient, adjoint.ParameterGradients[0], adjoint.ParameterGradients[1] };
    }

    /// <summary>The reference: TorchSharp autograd through the sequential pass.</summary>
    private static Tensor[] AutogradGradients(MlpChain chain, Tensor x, Tensor g)
    {
        using var enable = torch.enable_grad();
        var stack = new MlpStack(chain.Weights, chain.Biases, chain.Activation) { Mode = Autograd.ChainMode.Sequential };
        var input = x.detach().clone().requires_grad_(true);
        (stack.call(input) * g).sum().backward();
        return new[] { input.grad!, stack.Chain.Weights.grad!, stack.Chain.Biases.grad! };
    }
}
