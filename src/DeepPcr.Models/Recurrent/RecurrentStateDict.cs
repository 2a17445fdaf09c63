using DeepPcr.Recurrent;
using DeepPcr.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Recurrent;

/// <summary>
/// PyTorch's <c>state_dict()</c> of a recurrent module as a safetensors file: the architecture read from the tensor
/// names and shapes alone, and the parameters copied into a module after every name and shape is checked.
/// </summary>
public static class RecurrentStateDict
{
    /// <summary>
    /// The architecture a set of tensors describes: H from <c>weight_hh_l0</c>, I from <c>weight_ih_l0</c>, the layers
    /// from <c>weight_ih_l{l}</c>, bidirectional from <c>weight_ih_l0_reverse</c>, bias from <c>bias_ih_l0</c>; then
    /// every expected tensor must be present with its exact shape and no other may be.
    /// </summary>
    /// <param name="cell">The cell (a file's metadata names it).</param>
    /// <param name="shapes">Tensor names and shapes.</param>
    /// <param name="source">The file's name, for messages.</param>
    /// <param name="batchFirst">The layout's batch-first flag (not stored in a state dict).</param>
    /// <exception cref="InvalidDataException">A missing, extra or misshapen tensor.</exception>
    public static RecurrentLayout Infer(RecurrentCell cell, IReadOnlyDictionary<string, long[]> shapes, string source, bool batchFirst = false)
    {
        long[] ih = Shape(shapes, "weight_ih_l0", source);
        long[] hh = Shape(shapes, "weight_hh_l0", source);
        int gates = RecurrentCells.Gates(cell);
        if (ih.Length != 2 || ih[0] < gates || ih[0] % gates != 0 || ih[1] < 1)
        {
            throw new InvalidDataException($"{source}: weight_ih_l0 has shape {Text(ih)}; [{gates}·H, I] was expected for the cell {RecurrentCells.Name(cell)}.");
        }
        long hidden = ih[0] / gates;
        long layers = 1;
        while (shapes.ContainsKey($"weight_ih_l{layers}")) layers++;
        var layout = new RecurrentLayout(cell, ih[1], hidden, layers, shapes.ContainsKey("bias_ih_l0"), batchFirst, 0.0, shapes.ContainsKey("weight_ih_l0_reverse"));
        if (hh.Length != layout.RecurrentWeightShape.Length)
        {
            throw new InvalidDataException($"{source}: weight_hh_l0 has shape {Text(hh)}; {Text(layout.RecurrentWeightShape)} was expected for the cell {RecurrentCells.Name(cell)}"
                + (RecurrentCells.HasDiagonalRecurrence(cell) ? " (its recurrent weights are diagonal)." : "."));
        }
        var expected = layout.Parameters().ToDictionary(p => p.Name, p => p.Shape);
        foreach (var (name, shape) in expected)
        {
            if (!shapes.TryGetValue(name, out long[]? actual)) throw new InvalidDataException($"{source}: tensor '{name}' is missing; a {RecurrentCells.Name(cell)} file with {Describe(layout)} holds {string.Join(", ", expected.Keys)}.");
            if (!actual.SequenceEqual(shape)) throw new InvalidDataException($"{source}: tensor '{name}' has shape {Text(actual)} but {Text(shape)} was expected ({Describe(layout)}).");
        }
        var extra = shapes.Keys.Where(n => !expected.ContainsKey(n)).ToArray();
        if (extra.Length > 0) throw new InvalidDataException($"{source}: unexpected tensor(s) {string.Join(", ", extra)} in a {RecurrentCells.Name(cell)} file with {Describe(layout)}.");
        return layout;
    }

    /// <summary>The architecture of a safetensors file's tensors (see <see cref="Infer(RecurrentCell, IReadOnlyDictionary{string, long[]}, string, bool)"/>).</summary>
    public static RecurrentLayout Infer(RecurrentCell cell, SafeTensorFile file, bool batchFirst = false) =>
        Infer(cell, file.Tensors.ToDictionary(t => t.Name, t => t.Shape), file.Source, batchFirst);

    /// <summary>Copies a file's tensors into the module's parameters, converting to their dtype.</summary>
    /// <exception cref="InvalidDataException">A missing, extra or misshapen tensor, a non-float dtype, or non-finite values; nothing is copied then.</exception>
    public static void Load(IRecurrentNetwork module, SafeTensorFile file)
    {
        var layout = Infer(module.Layout.Cell, file, module.Layout.BatchFirst);
        if (layout with { Dropout = module.Layout.Dropout } != module.Layout)
        {
            throw new InvalidDataException($"{file.Source}: the file holds a {RecurrentCells.Name(layout.Cell)} with {Describe(layout)} but the module has {Describe(module.Layout)}.");
        }
        var values = new Dictionary<string, double[]>();
        foreach (var info in file.Tensors)
        {
            double[] data;
            try
            {
                data = file.ReadAsFloat64(info.Name);
            }
            catch (SafeTensorsFormatException e)
            {
                throw new InvalidDataException($"{file.Source}: tensor '{info.Name}': {e.Message}", e);
            }
            if (!data.All(double.IsFinite)) throw new InvalidDataException($"{file.Source}: tensor '{info.Name}' holds non-finite values (NaN or infinity).");
            values[info.Name] = data;
        }
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var (name, parameter) in module.named_parameters())
        {
            parameter.copy_(torch.tensor(values[name], parameter.shape, ScalarType.Float64).to(parameter.dtype, parameter.device));
        }
    }

    /// <summary>"I = 3, H = 8, 2 layers, bidirectional, bias": the parts of a layout a file fixes.</summary>
    public static string Describe(RecurrentLayout layout) =>
        $"I = {layout.InputSize}, H = {layout.HiddenSize}, {layout.NumLayers} layer(s), " + (layout.Bidirectional ? "bidirectional, " : "") + (layout.Bias ? "bias" : "no bias");

    private static long[] Shape(IReadOnlyDictionary<string, long[]> shapes, string name, string source) =>
        shapes.TryGetValue(name, out long[]? shape) ? shape : throw new InvalidDataException($"{source}: tensor '{name}' is missing; a recurrent model file holds PyTorch's state_dict() names (weight_ih_l0, weight_hh_l0, ...).");

    private static string Text(long[] shape) => $"[{string.Join(", ", shape)}]";
}
