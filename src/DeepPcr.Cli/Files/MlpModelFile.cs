using DeepPcr.Models.Mlp;
using DeepPcr.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Files;

/// <summary>
/// Deep-MLP model files: safetensors with `layers.{i}.weight` [w, w] (row i of W maps to output i) and
/// `layers.{i}.bias` [w] for i = 0..L-1, all F32 or all F64, and the activation in the metadata under
/// `activation`. This layout is all that is relied on, so files written by PyTorch's safetensors load.
/// </summary>
public static class MlpModelFile
{
    /// <summary>Writes the chain's parameters in their dtype, atomically.</summary>
    public static void Save(MlpChain chain, string path) => Writer(chain).Save(path);

    /// <summary>A writer holding the chain's parameters in their dtype and the activation's name.</summary>
    public static SafeTensorWriter Writer(MlpChain chain)
    {
        var writer = new SafeTensorWriter();
        for (int i = 0; i < chain.Length; i++)
        {
            TensorFiles.Add(writer, $"layers.{i}.weight", chain.Weights[i]);
            TensorFiles.Add(writer, $"layers.{i}.bias", chain.Biases[i]);
        }
        writer.Metadata["activation"] = chain.Activation.Name();
        return writer;
    }

    /// <summary>Reads a model and casts it to <paramref name="dtype"/>.</summary>
    /// <exception cref="InvalidDataException">No layers, a gap in the layer numbering, mixed or wrong shapes or dtypes, a bad activation.</exception>
    public static MlpChain Load(string path, ScalarType dtype) => Load(TensorFiles.Open(path, "model"), dtype);

    /// <summary>The depth L and width w of a model file, from its header alone (nothing is converted).</summary>
    /// <exception cref="InvalidDataException">No layers, or a first weight that is not square.</exception>
    public static (int Layers, long Width) Size(SafeTensorFile file)
    {
        int layers = 0;
        while (file.Contains($"layers.{layers}.weight")) layers++;
        if (layers == 0) throw new InvalidDataException($"{file.Source}: no tensor 'layers.0.weight'; a model holds layers.{{i}}.weight [w, w] and layers.{{i}}.bias [w].");
        var first = file.Get("layers.0.weight");
        if (first.Shape.Length != 2 || first.Shape[0] != first.Shape[1]) throw new InvalidDataException($"{file.Source}: layers.0.weight has shape [{string.Join(", ", first.Shape)}]; a square [w, w] was expected.");
        return (layers, first.Shape[0]);
    }

    /// <summary>Reads a model from an opened file and casts it to <paramref name="dtype"/>.</summary>
    /// <exception cref="InvalidDataException">No layers, a gap in the layer numbering, mixed or wrong shapes or dtypes, a bad activation, non-finite values.</exception>
    public static MlpChain Load(SafeTensorFile file, ScalarType dtype)
    {
        var (layers, _, _) = Check(file);
        return ReadLayers(file, dtype, 0, layers);
    }

    /// <summary>
    /// Checks a model file from its header alone: layers numbered 0..L-1 without gaps and nothing else, every weight
    /// [w, w] and bias [w], one float dtype (F32 or F64), and the activation in the metadata.
    /// </summary>
    /// <returns>L, w and the activation.</returns>
    /// <exception cref="InvalidDataException">No layers, a gap in the layer numbering, mixed or wrong shapes or dtypes, a bad activation.</exception>
    public static (int Layers, long Width, Activation Activation) Check(SafeTensorFile file)
    {
        string path = file.Source;
        var (layers, width) = Size(file);
        var extra = file.Tensors.Select(t => t.Name).Where(n => !IsLayerTensor(n, layers)).ToArray();
        if (extra.Length > 0) throw new InvalidDataException($"{path}: unexpected tensor(s) {string.Join(", ", extra)} (layers must be numbered 0..{layers - 1} without gaps).");
        if (!file.Metadata.TryGetValue("activation", out string? name)) throw new InvalidDataException($"{path}: the metadata has no 'activation' entry.");
        Activation activation;
        try
        {
            activation = Activations.Parse(name);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}");
        }
        var dtypes = new HashSet<SafeTensorDtype>();
        for (int i = 0; i < layers; i++)
        {
            dtypes.Add(TensorFiles.Check(file, $"layers.{i}.weight", new[] { width, width }));
            dtypes.Add(TensorFiles.Check(file, $"layers.{i}.bias", new[] { width }));
        }
        if (dtypes.Count > 1) throw new InvalidDataException($"{path}: layers mix F32 and F64.");
        return (layers, width, activation);
    }

    /// <summary>
    /// Layers first..first+count-1 of a model file that <see cref="Check"/> accepted, as a chain of their own cast to
    /// <paramref name="dtype"/>: only their tensors are read (from a header-only file, <see cref="SafeTensorFile.OpenHeader"/>,
    /// only their bytes leave the disk).
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor holds non-finite values.</exception>
    public static MlpChain ReadLayers(SafeTensorFile file, ScalarType dtype, int first, int count)
    {
        var (_, width) = Size(file);
        if (!file.Metadata.TryGetValue("activation", out string? name)) throw new InvalidDataException($"{file.Source}: the metadata has no 'activation' entry.");
        using var scope = torch.NewDisposeScope();
        var weights = new Tensor[count];
        var biases = new Tensor[count];
        for (int i = 0; i < count; i++)
        {
            weights[i] = TensorFiles.Read(file, $"layers.{first + i}.weight", new[] { width, width });
            biases[i] = TensorFiles.Read(file, $"layers.{first + i}.bias", new[] { width });
        }
        var w = torch.stack(weights, 0).to_type(dtype).MoveToOuterDisposeScope();
        var b = torch.stack(biases, 0).to_type(dtype).MoveToOuterDisposeScope();
        return new MlpChain(w, b, Activations.Parse(name));
    }

    private static bool IsLayerTensor(string name, int layers)
    {
        var parts = name.Split('.');
        return parts.Length == 3 && parts[0] == "layers" && int.TryParse(parts[1], out int i) && i >= 0 && i < layers
               && parts[1] == i.ToString(System.Globalization.CultureInfo.InvariantCulture) && (parts[2] == "weight" || parts[2] == "bias");
    }
}
