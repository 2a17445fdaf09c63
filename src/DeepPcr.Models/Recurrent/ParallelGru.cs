using DeepPcr.Recurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Recurrent;

/// <summary>
/// A drop-in for TorchSharp's <c>nn.GRU</c> whose layers are solved along T in parallel (Newton + PCR) or
/// sequentially: the same constructor arguments, parameter names (<c>weight_ih_l0</c>, <c>weight_hh_l0</c>,
/// <c>bias_ih_l0</c>, <c>bias_hh_l0</c>, <c>..._l1</c>, <c>..._l0_reverse</c>), initialisation and <c>forward</c>.
/// With <c>cell: RecurrentCell.GruDiag</c> it is ParaRNN's diagonal GRU: <c>weight_hh</c> has shape [3H] and acts
/// elementwise per gate.
/// </summary>
public sealed class ParallelGru : ParallelRecurrent<Tensor?, (Tensor, Tensor)>
{
    /// <summary>A GRU with <c>nn.GRU</c>'s arguments.</summary>
    /// <param name="inputSize">Features I of the input.</param>
    /// <param name="hiddenSize">Features H of the hidden state.</param>
    /// <param name="numLayers">Stacked layers.</param>
    /// <param name="bias">Whether the layers have biases.</param>
    /// <param name="batchFirst">Input and output are [B, T, ·].</param>
    /// <param name="dropout">Dropout on each layer's output except the last's, in training.</param>
    /// <param name="bidirectional">Each layer also runs along reversed T.</param>
    /// <param name="device">Where the parameters live.</param>
    /// <param name="dtype">Their dtype.</param>
    /// <param name="cell"><see cref="RecurrentCell.Gru"/> (PyTorch's) or <see cref="RecurrentCell.GruDiag"/> (ParaRNN's diagonal GRU).</param>
    /// <exception cref="ArgumentException">A bad size or dropout probability, or a cell that is not a GRU.</exception>
    public ParallelGru(long inputSize, long hiddenSize, long numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0.0,
        bool bidirectional = false, Device? device = null, ScalarType? dtype = null, RecurrentCell cell = RecurrentCell.Gru)
        : base("ParallelGru", new RecurrentLayout(Check(cell), inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional), device, dtype)
    {
    }

    /// <summary>(output, h_n): output [T, B, D·H] ([B, T, D·H] batch first), h_n [layers·D, B, H].</summary>
    /// <param name="input">[T, B, I], [B, T, I] batch first, or [T, I] unbatched.</param>
    /// <param name="h0">[layers·D, B, H], or null for zeros.</param>
    public override (Tensor, Tensor) forward(Tensor input, Tensor? h0 = null)
    {
        var result = Run(input, h0);
        return (result.Output, result.HN);
    }

    /// <summary>(output, h_n) from a zero initial state.</summary>
    public (Tensor, Tensor) call(Tensor input) => call(input, null);

    private static RecurrentCell Check(RecurrentCell cell) => cell is RecurrentCell.Gru or RecurrentCell.GruDiag
        ? cell
        : throw new ArgumentException($"ParallelGru runs the cells gru and gru-diag, not {RecurrentCells.Name(cell)}; use ParallelLstm for the LSTMs.");
}
