using DeepPcr.Models.Recurrent;
using DeepPcr.Recurrent;
using DeepPcr.SafeTensors;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Files;

/// <summary>
/// Recurrent model files: PyTorch's <c>state_dict()</c> of an <c>nn.GRU</c>/<c>nn.LSTM</c> (or of the diagonal cells)
/// saved by safetensors, tensors <c>weight_ih_l{l}</c>, <c>weight_hh_l{l}</c>, <c>bias_ih_l{l}</c>, <c>bias_hh_l{l}</c>
/// (and <c>..._reverse</c>), with the metadata entry <c>cell</c> = gru, lstm, gru-diag or lstm-cifg-diag. A file whose
/// metadata has no <c>cell</c> is a deep-MLP file (<see cref="MlpModelFile"/>). The architecture is read from the
/// names and shapes alone; the input and output are batch first.
/// </summary>
public static class RecurrentModelFile
{
    /// <summary>The metadata key that makes a model file recurrent.</summary>
    public const string CellKey = "cell";

    /// <summary>Whether the file's metadata names a cell.</summary>
    public static bool IsRecurrent(SafeTensorFile file) => file.Metadata.ContainsKey(CellKey);

    /// <summary>The file's cell and architecture (batch first), from its header alone.</summary>
    /// <exception cref="InvalidDataException">An unknown cell, or a missing, extra or misshapen tensor.</exception>
    public static RecurrentLayout Layout(SafeTensorFile file)
    {
        string name = file.Metadata[CellKey];
        RecurrentCell cell;
        try
        {
            cell = RecurrentCells.Parse(name);
        }
        catch (ArgumentException)
        {
            throw new InvalidDataException($"{file.Source}: unknown cell '{name}' in the metadata; expected one of: {string.Join(", ", RecurrentCells.Names)}.");
        }
        return RecurrentStateDict.Infer(cell, file, batchFirst: true);
    }

    /// <summary>The module of the file's architecture in <paramref name="dtype"/>, holding the file's parameters.</summary>
    /// <exception cref="InvalidDataException">An unknown cell, a missing, extra, misshapen or non-finite tensor.</exception>
    public static IRecurrentNetwork Load(SafeTensorFile file, ScalarType dtype)
    {
        var module = RecurrentNetworks.Create(Layout(file), dtype: dtype);
        RecurrentStateDict.Load(module, file);
        return module;
    }

    /// <summary>A writer holding the module's parameters (in their dtype, PyTorch's names and order) and its cell's name.</summary>
    public static SafeTensorWriter Writer(IRecurrentNetwork module)
    {
        var writer = new SafeTensorWriter();
        foreach (var (name, parameter) in module.named_parameters()) TensorFiles.Add(writer, name, parameter);
        writer.Metadata[CellKey] = RecurrentCells.Name(module.Layout.Cell);
        return writer;
    }
}
