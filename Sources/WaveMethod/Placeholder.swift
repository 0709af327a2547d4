enum _WaveMethodPlaceholder {}
