using DeepPcr.Recurrent;

namespace DeepPcr.Models.Recurrent;

/// <summary>
/// The architecture of a stack of recurrent layers, with <c>nn.GRU</c>/<c>nn.LSTM</c>'s arguments, and the names and
/// shapes of its parameters in PyTorch's <c>state_dict()</c> order: per layer l and direction (forward, then
/// "_reverse"): <c>weight_ih_l{l}</c> [G·H, I_l], <c>weight_hh_l{l}</c> [G·H, H] (dense cells) or [G·H] (diagonal
/// cells), and with <see cref="Bias"/> <c>bias_ih_l{l}</c>, <c>bias_hh_l{l}</c> [G·H]; G is the cell's gate count and
/// I_l is <see cref="InputSize"/> for layer 0 and directions·H above it.
/// </summary>
/// <param name="Cell">The cell.</param>
/// <param name="InputSize">Features I of the input.</param>
/// <param name="HiddenSize">Features H of the hidden state (and of the cell state of the LSTMs).</param>
/// <param name="NumLayers">Stacked layers, each a chain along T fed by the layer below.</param>
/// <param name="Bias">Whether the layers have biases (missing biases count as zero).</param>
/// <param name="BatchFirst">Input and output are [B, T, ·] instead of [T, B, ·] (initial and final states stay [layers·directions, B, H]).</param>
/// <param name="Dropout">Dropout probability on each layer's output except the last's, in training only.</param>
/// <param name="Bidirectional">Each layer also runs a chain along reversed T; outputs are concatenated [forward, reverse].</param>
public sealed record RecurrentLayout(RecurrentCell Cell, long InputSize, long HiddenSize, long NumLayers = 1, bool Bias = true, bool BatchFirst = false,
    double Dropout = 0.0, bool Bidirectional = false)
{
    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Chains solved per forward pass: layers × directions (the first dimension of h_0 and h_n).</summary>
    public long Chains => NumLayers * Directions;

    /// <summary>Features of the output: directions × H.</summary>
    public long OutputSize => Directions * HiddenSize;

    /// <summary>Rows of the weights: gates × H.</summary>
    public long GateRows => RecurrentCells.Gates(Cell) * HiddenSize;

    /// <summary>Checks the sizes and the dropout probability.</summary>
    /// <exception cref="ArgumentException">A size below 1 or a dropout probability outside [0, 1).</exception>
    public RecurrentLayout Validate()
    {
        if (InputSize < 1) throw new ArgumentException($"input_size must be at least 1 (got {InputSize}).");
        if (HiddenSize < 1) throw new ArgumentException($"hidden_size must be at least 1 (got {HiddenSize}).");
        if (NumLayers < 1) throw new ArgumentException($"num_layers must be at least 1 (got {NumLayers}).");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"dropout must be in [0, 1) (got {Dropout}).");
        return this;
    }

    /// <summary>"_l{layer}" or "_l{layer}_reverse": PyTorch's suffix of a layer's and direction's parameters.</summary>
    public static string Suffix(long layer, int direction) => $"_l{layer}" + (direction == 1 ? "_reverse" : "");

    /// <summary>Features of layer <paramref name="layer"/>'s input.</summary>
    public long LayerInputSize(long layer) => layer == 0 ? InputSize : OutputSize;

    /// <summary>The shape of <c>weight_hh</c>: [G·H, H], or [G·H] for the diagonal cells.</summary>
    public long[] RecurrentWeightShape => RecurrentCells.HasDiagonalRecurrence(Cell) ? new[] { GateRows } : new[] { GateRows, HiddenSize };

    /// <summary>Every parameter's name and shape, in PyTorch's <c>state_dict()</c> order.</summary>
    public IEnumerable<(string Name, long[] Shape)> Parameters()
    {
        for (long layer = 0; layer < NumLayers; layer++)
        {
            for (int direction = 0; direction < Directions; direction++)
            {
                string suffix = Suffix(layer, direction);
                yield return ("weight_ih" + suffix, new[] { GateRows, LayerInputSize(layer) });
                yield return ("weight_hh" + suffix, RecurrentWeightShape);
                if (!Bias) continue;
                yield return ("bias_ih" + suffix, new[] { GateRows });
                yield return ("bias_hh" + suffix, new[] { GateRows });
            }
        }
    }
}
