using System.Text.Json.Nodes;
using DeepPcr.Cli.Errors;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Limits;
using DeepPcr.Models.Recurrent;
using DeepPcr.Recurrent;
using DeepPcr.SafeTensors;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Recurrent;

/// <summary>
/// `deeppcr run` on a recurrent model file (<see cref="RecurrentModelFile"/>). Input file: <c>input</c> [B, T, I]
/// (batch first, F32 or F64: the computation's dtype), optional <c>h0</c> [layers·D, B, H] (and <c>c0</c> for the
/// LSTMs). Output file, in the input's dtype: <c>output</c> [B, T, D·H], <c>h_n</c> (and <c>c_n</c>) [layers·D, B, H];
/// with a cotangent file (<c>cotangent</c> [B, T, D·H], the cotangent of <c>output</c>) also <c>grad.input</c>,
/// <c>grad.h0</c> (and <c>grad.c0</c>; of the zero initial states when none was given) and <c>grad.{name}</c> for every
/// parameter: the vector-Jacobian product of sum(output ⊙ cotangent), by the adjoint solve of each chain.
/// </summary>
public static class RecurrentRun
{
    /// <summary>Runs the model; returns the JSON summary (<see cref="RecurrentRunReport"/>). Everything is checked
    /// from the headers before any tensor is read; the output file is written atomically, only when every value is finite.</summary>
    /// <exception cref="InvalidDataException">A bad file: unknown cell, missing, extra or misshapen tensors, mixed dtypes, input width that does not match weight_ih_l0.</exception>
    /// <exception cref="NumericalFailureException">The outputs or gradients hold NaN or infinity.</exception>
    public static JsonObject Run(SafeTensorFile modelFile, string inputPath, string outputPath, IChainSolver solver, SolverOptions options, string? cotangentPath)
    {
        using var scope = torch.NewDisposeScope();
        var (module, x, h0, c0, g) = Load(modelFile, inputPath, cotangentPath, jacobians: !(cotangentPath is null && solver is SequentialSolver));
        module.Solver = solver;
        module.Options = options;

        var writer = new SafeTensorWriter();
        if (g is null) Forward(module, x, h0, c0, writer);
        else ForwardBackward(module, x, h0, c0, g, writer);
        var report = RecurrentRunReport.Of(module);
        using var outputs = new AtomicOutputs();
        outputs.Write(outputPath, writer.WriteTo);
        outputs.Commit();
        return report;
    }

    /// <summary>
    /// Reads and checks the model, input (and initial states) and cotangent files: every size from the headers and the
    /// memory the run needs (with the Jacobians of every chain where <paramref name="jacobians"/>) before any tensor is read.
    /// </summary>
    /// <returns>The network (in the input's dtype), input [B, T, I], h0 and c0 [layers·D, B, H] or null, cotangent [B, T, D·H] or null; in the caller's dispose scope.</returns>
    /// <exception cref="InvalidDataException">A bad file.</exception>
    public static (IRecurrentNetwork Module, Tensor Input, Tensor? H0, Tensor? C0, Tensor? Cotangent) Load(SafeTensorFile modelFile, string inputPath, string? cotangentPath, bool jacobians)
    {
        var layout = RecurrentModelFile.Layout(modelFile);
        var inputFile = TensorFiles.Open(inputPath, "input");
        var (batch, length) = InputSize(inputFile, layout, modelFile.Source);
        var cotangentFile = cotangentPath is null ? null : TensorFiles.Open(cotangentPath, "cotangent");
        Estimate(layout, batch, length, inputFile.Get("input").Dtype == SafeTensorDtype.F64 ? 8 : 4, jacobians).Check();
        var x = TensorFiles.Read(inputFile, "input");
        long[] stateShape = { layout.Chains, batch, layout.HiddenSize };
        var h0 = Optional(inputFile, "h0", stateShape, x);
        var c0 = Optional(inputFile, "c0", stateShape, x);
        var g = cotangentFile is null ? null : SameDtype(TensorFiles.Read(cotangentFile, "cotangent", new[] { batch, length, layout.OutputSize }), cotangentFile, "cotangent", x);
        return (RecurrentModelFile.Load(modelFile, x.dtype), x, h0, c0, g);
    }

    private static void Forward(IRecurrentNetwork module, Tensor x, Tensor? h0, Tensor? c0, SafeTensorWriter writer)
    {
        using var noGrad = torch.no_grad();
        AddResults(module.Run(x, h0, c0), writer);
    }

    private static void ForwardBackward(IRecurrentNetwork module, Tensor x, Tensor? h0, Tensor? c0, Tensor g, SafeTensorWriter writer)
    {
        using var enable = torch.enable_grad();
        var layout = module.Layout;
        var input = x.requires_grad_(true);
        var h = (h0 ?? torch.zeros(new[] { layout.Chains, x.size(0), layout.HiddenSize }, dtype: x.dtype)).requires_grad_(true);
        var c = RecurrentCells.HasCellState(layout.Cell) ? (c0 ?? torch.zeros_like(h)).requires_grad_(true) : null;
        var result = module.Run(input, h, c);
        (result.Output * g).sum().backward();
        AddResults(result, writer);
        Add(writer, "grad.input", input.grad!, "the input gradient", "sample");
        Add(writer, "grad.h0", h.grad!, "the h0 gradient", "chain");
        if (c is not null) Add(writer, "grad.c0", c.grad!, "the c0 gradient", "chain");
        foreach (var (name, parameter) in module.named_parameters()) Add(writer, "grad." + name, parameter.grad!, $"the gradient of {name}", "row");
    }

    private static void AddResults(RecurrentOutput result, SafeTensorWriter writer)
    {
        Add(writer, "output", result.Output, "the output", "sample");
        Add(writer, "h_n", result.HN, "h_n", "chain");
        if (result.CN is not null) Add(writer, "c_n", result.CN, "c_n", "chain");
    }

    /// <summary>Adds a tensor to the output file after checking that it is finite (<see cref="NonFinite"/>: what and the index of the first bad entry).</summary>
    /// <exception cref="NumericalFailureException">NaN or infinity.</exception>
    public static void Add(SafeTensorWriter writer, string name, Tensor value, string what, string index)
    {
        NonFinite.Check(value, what, index);
        TensorFiles.Add(writer, name, value);
    }

    /// <summary>(B, T) of the input, from the header: rank 3, width I of weight_ih_l0, and no tensor but input, h0 and c0 (c0 for the LSTMs only).</summary>
    private static (long Batch, long Length) InputSize(SafeTensorFile file, RecurrentLayout layout, string model)
    {
        string cell = RecurrentCells.Name(layout.Cell);
        var allowed = RecurrentCells.HasCellState(layout.Cell) ? new[] { "input", "h0", "c0" } : new[] { "input", "h0" };
        var extra = file.Tensors.Select(t => t.Name).Where(n => !allowed.Contains(n)).ToArray();
        if (extra.Length > 0) throw new InvalidDataException($"{file.Source}: unexpected tensor(s) {string.Join(", ", extra)}; a {cell} input file holds {string.Join(", ", allowed)}.");
        if (!file.Contains("input")) throw new InvalidDataException($"{file.Source}: tensor 'input' [B, T, I] is missing.");
        var shape = file.Get("input").Shape;
        if (shape.Length != 3 || shape[0] < 1 || shape[1] < 1)
        {
            throw new InvalidDataException($"{file.Source}: tensor 'input' has shape [{string.Join(", ", shape)}]; [B, T, I] (batch first, B, T >= 1) was expected.");
        }
        if (shape[2] != layout.InputSize)
        {
            throw new InvalidDataException($"{file.Source}: tensor 'input' has width {shape[2]} but {model} has weight_ih_l0 [{layout.GateRows}, {layout.InputSize}] (I = {layout.InputSize}).");
        }
        return (shape[0], shape[1]);
    }

    private static Tensor? Optional(SafeTensorFile file, string name, long[] shape, Tensor x) =>
        file.Contains(name) ? SameDtype(TensorFiles.Read(file, name, shape), file, name, x) : null;

    private static Tensor SameDtype(Tensor t, SafeTensorFile file, string name, Tensor x) => t.dtype == x.dtype
        ? t
        : throw new InvalidDataException($"{file.Source}: tensor '{name}' is {t.dtype} but 'input' is {x.dtype}; they must match.");

    private static MemoryEstimate Estimate(RecurrentLayout layout, long batch, long length, int bytes, bool jacobians)
    {
        long h = layout.HiddenSize;
        bool lstm = RecurrentCells.HasCellState(layout.Cell);
        double width = lstm ? 2 * h : h;
        double jacobian = !jacobians ? 0
            : RecurrentCells.HasDiagonalRecurrence(layout.Cell) ? (lstm ? 4 * h : h) : width * width;
        return MemoryEstimates.Recurrent($"run on a {RecurrentCells.Name(layout.Cell)} file (layers·directions = {layout.Chains}, T = {length}, B = {batch}, H = {h})",
            layout.Chains, length, batch, layout.GateRows, width, jacobian, bytes);
    }
}
