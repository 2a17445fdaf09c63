using System.Globalization;
using DeepPcr.SafeTensors;

namespace DeepPcr.Gpu.Model;

/// <summary>
/// Model files in the layout of src/DeepPcr.Cli/Files/MlpModelFile.cs: safetensors with
/// <c>layers.{i}.weight</c> [w, w] (row i maps to output i) and <c>layers.{i}.bias</c> [w] for i = 0..L-1,
/// all F32 or all F64, and the activation in the metadata under <c>activation</c>. Written here in F32,
/// so that PyTorch peers run exactly the parameters the device runs.
/// </summary>
public static class MlpModelFiles
{
    /// <summary>Writes the model's parameters rounded to F32, with metadata <c>activation</c>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The file to write.</param>
    public static void Save(MlpModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        int w = model.Width;
        var writer = new SafeTensorWriter();
        var weights = model.WeightsFloat32();
        var biases = model.BiasesFloat32();
        for (int k = 0; k < model.Layers; k++)
        {
            writer.Add($"layers.{k}.weight", weights.AsSpan(k * w * w, w * w).ToArray(), [w, w]);
            writer.Add($"layers.{k}.bias", biases.AsSpan(k * w, w).ToArray(), [w]);
        }
        writer.Metadata["activation"] = model.Activation.Name();
        writer.Save(path);
    }

    /// <summary>Reads a model file (F32 or F64) into a float64 model.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The model.</returns>
    /// <exception cref="InvalidDataException">No layers, a gap in the layer numbering, a missing bias, a non-square or
    /// mismatched shape, mixed dtypes, a missing or unknown activation, or a non-finite parameter.</exception>
    public static MlpModel Load(string path)
    {
        var file = SafeTensorFile.Read(path);
        int layers = 0;
        while (file.Contains($"layers.{layers}.weight")) layers++;
        if (layers == 0) throw new InvalidDataException($"{path}: no tensor 'layers.0.weight'; a model holds layers.{{i}}.weight [w, w] and layers.{{i}}.bias [w].");
        var extra = file.Tensors.Select(t => t.Name).Where(n => !IsLayerTensor(n, layers)).ToArray();
        if (extra.Length > 0) throw new InvalidDataException($"{path}: unexpected tensor(s) {string.Join(", ", extra)} (layers must be numbered 0..{layers - 1} without gaps).");
        var activation = ReadActivation(file, path);
        var first = file.Get("layers.0.weight");
        if (first.Shape.Length != 2 || first.Shape[0] != first.Shape[1])
            throw new InvalidDataException($"{path}: layers.0.weight has shape [{string.Join(", ", first.Shape)}]; a square [w, w] was expected.");
        int width = checked((int)first.Shape[0]);
        var weights = new double[(long)layers * width * width];
        var biases = new double[(long)layers * width];
        var dtypes = new HashSet<SafeTensorDtype>();
        for (int k = 0; k < layers; k++)
        {
            Read(file, path, $"layers.{k}.weight", [width, width], dtypes).CopyTo(weights, (long)k * width * width);
            Read(file, path, $"layers.{k}.bias", [width], dtypes).CopyTo(biases, (long)k * width);
        }
        if (dtypes.Count > 1) throw new InvalidDataException($"{path}: layers mix {string.Join(" and ", dtypes)}.");
        try
        {
            return new MlpModel(layers, width, weights, biases, activation);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private static MlpActivation ReadActivation(SafeTensorFile file, string path)
    {
        if (!file.Metadata.TryGetValue("activation", out string? name)) throw new InvalidDataException($"{path}: the metadata has no 'activation' entry.");
        try
        {
            return MlpActivations.Parse(name);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private static double[] Read(SafeTensorFile file, string path, string name, long[] shape, HashSet<SafeTensorDtype> dtypes)
    {
        if (!file.Contains(name)) throw new InvalidDataException($"{path}: tensor '{name}' is missing.");
        var info = file.Get(name);
        if (!info.Shape.SequenceEqual(shape))
            throw new InvalidDataException($"{path}: {name} has shape [{string.Join(", ", info.Shape)}]; [{string.Join(", ", shape)}] was expected.");
        if (info.Dtype is not (SafeTensorDtype.F32 or SafeTensorDtype.F64))
            throw new InvalidDataException($"{path}: {name} is {info.Dtype}; F32 or F64 was expected.");
        dtypes.Add(info.Dtype);
        return file.ReadAsFloat64(name);
    }

    private static bool IsLayerTensor(string name, int layers)
    {
        var parts = name.Split('.');
        return parts.Length == 3 && parts[0] == "layers" && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
               && i < layers && parts[1] == i.ToString(CultureInfo.InvariantCulture) && (parts[2] == "weight" || parts[2] == "bias");
    }
}
