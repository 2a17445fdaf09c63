using DeepPcr.Recurrent;
using static TorchSharp.torch;

namespace DeepPcr.Models.Recurrent;

/// <summary>Builds the module of a layout's cell.</summary>
public static class RecurrentNetworks
{
    /// <summary>A <see cref="ParallelGru"/> for the GRU cells, a <see cref="ParallelLstm"/> for the LSTM cells.</summary>
    /// <exception cref="ArgumentException">A bad size or dropout probability.</exception>
    public static IRecurrentNetwork Create(RecurrentLayout layout, Device? device = null, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return RecurrentCells.HasCellState(layout.Cell)
            ? new ParallelLstm(layout.InputSize, layout.HiddenSize, layout.NumLayers, layout.Bias, layout.BatchFirst, layout.Dropout, layout.Bidirectional, device, dtype, layout.Cell)
            : new ParallelGru(layout.InputSize, layout.HiddenSize, layout.NumLayers, layout.Bias, layout.BatchFirst, layout.Dropout, layout.Bidirectional, device, dtype, layout.Cell);
    }
}
